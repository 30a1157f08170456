using System.Text;
using EquivarianceRegularizer.JitFuzz;
using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Hardening;

/// <summary>
/// jit.load accepts TorchScript archives only: pickles that name arbitrary callables (the classic torch.save exploit)
/// are rejected with InvalidDataException and nothing they name runs (docs/security.md).
/// </summary>
public class ModelLoadingSecurityTests
{
    private string _dir = "";

    [SetUp]
    public void CreateTempDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ert-sec-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteTempDirectory() => Directory.Delete(_dir, recursive: true);

    // Pickle protocol 2 (PROTO 2, as torch.save writes): GLOBAL module.callable, BINUNICODE argument, TUPLE1, REDUCE,
    // STOP — unpickling it in Python calls callable(argument).
    private static byte[] CallingPickle(string module, string callable, string argument)
    {
        var arg = Encoding.UTF8.GetBytes(argument);
        var bytes = new List<byte> { 0x80, 0x02 };
        bytes.AddRange(Encoding.ASCII.GetBytes($"c{module}\n{callable}\n"));
        bytes.Add((byte)'X');
        bytes.AddRange(BitConverter.GetBytes(arg.Length));
        bytes.AddRange(arg);
        bytes.Add(0x85);
        bytes.Add((byte)'R');
        bytes.Add((byte)'.');
        return bytes.ToArray();
    }

    private string ArchiveWithDataPickle(string name, byte[] dataPkl, bool keepCode)
    {
        var entries = StoredZip.ReadEntries(File.ReadAllBytes(PathOf(SmallCnnScripted)));
        var prefix = entries[0].Name[..(entries[0].Name.IndexOf('/', StringComparison.Ordinal) + 1)];
        var rebuilt = entries
            .Where(e => keepCode || !e.Name.StartsWith(prefix + "code/", StringComparison.Ordinal))
            .Select(e => e.Name == prefix + "data.pkl" ? (e.Name, dataPkl) : e)
            .ToList();
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, StoredZip.Write(rebuilt));
        return path;
    }

    [TestCase("os", "system", true)]
    [TestCase("posix", "system", false)]
    [TestCase("builtins", "exec", true)]
    [TestCase("subprocess", "call", false)]
    public void ArchiveWhosePickleCallsAnArbitraryFunction_IsRejected_AndNothingRuns(string module, string callable, bool keepCode)
    {
        var marker = Path.Combine(_dir, "pwned");
        string argument = callable == "exec" ? $"open('{marker}','w')" : $"touch {marker}";
        var path = ArchiveWithDataPickle($"{module}_{callable}.pt", CallingPickle(module, callable, argument), keepCode);
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain($"Unknown type name '{module}.{callable}'"));
        Assert.That(File.Exists(marker), Is.False, "the pickle's callable must never run");
        TestContext.Out.WriteLine(ex.Message);
    }

    [Test]
    public void PlainTorchSavePickle_IsRejected_AsNotTorchScript()
    {
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(PathOf(PlainPickle)));
        Assert.That(ex!.Message, Does.Contain("not a TorchScript module"));
    }

    [Test]
    public void LegacyNonZipPickle_IsRejected_BeforeLibtorchSeesIt()
    {
        // torch.save's legacy format (and any raw pickle) starts with the pickle protocol byte 0x80, not a zip header.
        var path = Path.Combine(_dir, "legacy.pt");
        File.WriteAllBytes(path, CallingPickle("os", "system", "true"));
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain("zip signature"));
    }
}
