using EquivarianceRegularizer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Data;

public class TensorFileTests
{
    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"eqv-tensorfile-{Guid.NewGuid():N}.tensor");

    [TestCase(ScalarType.Float32)]
    [TestCase(ScalarType.Float64)]
    public void Read_GivesBackWhatTensorSaveWrote(ScalarType dtype)
    {
        string path = TempPath();
        try
        {
            using var x = rand(new long[] { 3, 2, 5, 4 }, dtype: dtype);
            x.Save(path);
            using var back = TensorFile.Read(path);
            Assert.That(back.dtype, Is.EqualTo(dtype));
            Assert.That(back.shape, Is.EqualTo(x.shape));
            Assert.That(back.allclose(x, 0, 0), Is.True);
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void Read_TheFormatOfToolsEqvInputsPy_ByteForByte()
    {
        // What tools/eqv_inputs.py writes for numpy.arange(6, dtype=float32).reshape(2, 3): code 6, rank 2, sizes 2 and 3, data.
        string path = TempPath();
        try
        {
            var bytes = new List<byte> { 6, 2, 2, 3 };
            foreach (float v in new[] { 0f, 1, 2, 3, 4, 5 }) bytes.AddRange(BitConverter.GetBytes(v));
            File.WriteAllBytes(path, bytes.ToArray());
            using var t = TensorFile.Read(path);
            Assert.That(t.shape, Is.EqualTo(new long[] { 2, 3 }));
            Assert.That(t.data<float>().ToArray(), Is.EqualTo(new[] { 0f, 1, 2, 3, 4, 5 }));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void Read_RejectsTruncatedForeignAndIntegerFiles_WithWhatToDo()
    {
        string path = TempPath();
        try
        {
            using (var x = rand(4, 3)) x.Save(path);
            var full = File.ReadAllBytes(path);
            File.WriteAllBytes(path, full[..^5]);
            Assert.That(Assert.Throws<InvalidDataException>(() => TensorFile.Read(path))!.Message, Does.Contain("truncated").And.Contain("tools/eqv_inputs.py"));
            File.WriteAllText(path, "PK\u0003\u0004 a torch.save pickle, not TorchSharp's format");
            Assert.Throws<InvalidDataException>(() => TensorFile.Read(path));
            using (var ints = ones(new long[] { 2, 2 }, dtype: ScalarType.Int64)) ints.Save(path);
            Assert.That(Assert.Throws<InvalidDataException>(() => TensorFile.Read(path))!.Message, Does.Contain("no floating-point tensor"));
            using (var flat = rand(5)) flat.Save(path);
            Assert.That(Assert.Throws<InvalidDataException>(() => TensorFile.Read(path))!.Message, Does.Contain("rank 1"));
            using (var bad = full_like(rand(2, 2), double.NaN)) bad.Save(path);
            Assert.That(Assert.Throws<InvalidDataException>(() => TensorFile.Read(path))!.Message, Does.Contain("NaN"));
        }
        finally { File.Delete(path); }
        Assert.Throws<FileNotFoundException>(() => TensorFile.Read(path));
    }
}
