using System.Diagnostics;
using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Jit;

public class LoadSafetyTests
{
    private string _dir = "";

    [SetUp]
    public void CreateTempDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ert-jit-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteTempDirectory() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Test]
    public void Load_OfMissingFile_ThrowsFileNotFound_NamingThePath()
    {
        var path = Path.Combine(_dir, "no_such_model.pt");
        var ex = Assert.Throws<FileNotFoundException>(() => jit.load(path));
        Assert.That(ex!.FileName, Is.EqualTo(path));
        Assert.That(ex.Message, Does.Contain(path));
    }

    [Test]
    public void Load_OfDirectory_ThrowsFileNotFound()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => jit.load(_dir));
        Assert.That(ex!.Message, Does.Contain("directory"));
    }

    [Test]
    public void Load_OfNullOrEmptyPath_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentNullException>(() => jit.load(null!));
        Assert.Throws<ArgumentException>(() => jit.load(""));
    }

    [Test]
    public void Load_OfEmptyFile_ThrowsInvalidData()
    {
        var path = Write("empty.pt", Array.Empty<byte>());
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("zip signature"));
    }

    [Test]
    public void Load_OfGarbage_ThrowsInvalidData()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        var path = Write("garbage.pt", bytes);
        Assert.Throws<InvalidDataException>(() => jit.load(path));
    }

    [Test]
    public void Load_OfGarbageAfterZipSignature_ThrowsInvalidData_FromNativeCheck()
    {
        var bytes = new byte[4096];
        new Random(8).NextBytes(bytes);
        "PK\u0003\u0004"u8.CopyTo(bytes);
        var path = Write("zip_garbage.pt", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain("end-of-central-directory"));
        Assert.That(ex.InnerException, Is.InstanceOf<TorchException>());
    }

    [Test]
    public void Load_OfTruncatedArchive_ThrowsInvalidData()
    {
        var bytes = File.ReadAllBytes(PathOf(SmallCnnScripted));
        var path = Write("truncated.pt", bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("truncated"));
    }

    [Test]
    public void Load_OfArchiveWithFlippedDataBit_ThrowsInvalidData_NamingTheCrcCheck()
    {
        var bytes = File.ReadAllBytes(PathOf(SmallCnnScripted));
        // Flip a bit inside the first entry's data (after its 30-byte local header and name).
        int nameLength = bytes[26] | (bytes[27] << 8), extraLength = bytes[28] | (bytes[29] << 8);
        bytes[30 + nameLength + extraLength + 5] ^= 0x10;
        var path = Write("flipped.pt", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain("CRC-32"));
    }

    /// <summary>Rewrites one entry of a fixture archive; the new archive has valid CRCs (System.IO.Compression writes them).</summary>
    private string Rezip(string fixture, string name, string entrySuffix, Func<byte[], byte[]> change) =>
        Rezip(fixture, name, (entry, _) => entry.EndsWith(entrySuffix, StringComparison.Ordinal), change);

    private string Rezip(string fixture, string name, Func<string, byte[], bool> pick, Func<byte[], byte[]> change)
    {
        var path = Path.Combine(_dir, name);
        using var source = System.IO.Compression.ZipFile.OpenRead(PathOf(fixture));
        using (var target = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            int changed = 0;
            foreach (var entry in source.Entries)
            {
                using var input = entry.Open();
                using var buffer = new MemoryStream();
                input.CopyTo(buffer);
                var bytes = buffer.ToArray();
                if (pick(entry.FullName, bytes))
                {
                    bytes = change(bytes);
                    changed++;
                }
                var copy = target.CreateEntry(entry.FullName, System.IO.Compression.CompressionLevel.NoCompression);
                using var output = copy.Open();
                output.Write(bytes);
            }
            Assert.That(changed, Is.EqualTo(1), "exactly one entry is changed");
        }
        return path;
    }

    [Test]
    public void Load_OfUnchangedRezippedArchive_Works()
    {
        var path = Rezip(SmallCnnScripted, "same.pt", "/version", b => b);
        using var scope = NewDisposeScope();
        using var model = jit.load(path);
        Assert.That(model.call(randn(1, 1, 8, 8)).shape, Is.EqualTo(new long[] { 1, 5 }));
    }

    [Test]
    public void Load_OfStorageRecordCutShort_WithValidCrc_ThrowsInvalidData()
    {
        // libtorch would size the storage from the pickle and read past the short record (a crash at forward).
        var path = Rezip(CallInsideIf, "short_storage.pt", "/data/1", b => b[..(b.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain("data/1").And.Contain("bytes"));
    }

    [Test]
    public void Load_OfModuleClassWithUnannotatedAttribute_WithValidCrc_ThrowsInvalidData()
    {
        // libtorch 1.13 dereferences the missing annotation (a segfault) instead of reporting it.
        var path = Rezip(NestedTraced, "bad_class.pt",
            (entry, bytes) => entry.EndsWith(".py", StringComparison.Ordinal) && System.Text.Encoding.UTF8.GetString(bytes).Contains("class Sequential(Module):", StringComparison.Ordinal),
            b => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(b).Replace("__parameters__", "__parameters_W", StringComparison.Ordinal)));
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(path));
        Assert.That(ex!.Message, Does.Contain("__parameters_W").And.Contain("type annotation"));
    }

    [Test]
    public void Load_OfPlainTorchSavePickle_ThrowsInvalidData_SayingItIsNotTorchScript()
    {
        var ex = Assert.Throws<InvalidDataException>(() => jit.load(PathOf(PlainPickle)));
        Assert.That(ex!.Message, Does.Contain("not a TorchScript module").And.Contain("torch.save"));
    }

    /// <summary>
    /// Random truncations and bit flips of a valid archive: each load either fails with InvalidDataException or
    /// gives a working module, within a time bound, and the process survives. Set ERT_JIT_FUZZ_ITERATIONS to run more.
    /// </summary>
    [TestCase(SmallCnnScripted, 1, 8)]
    [TestCase(NestedTraced, 2, 6)]
    public void Load_OfRandomlyCorruptedArchives_NeverCrashes_AndFailsCleanly(string file, int seed, int side)
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("ERT_JIT_FUZZ_ITERATIONS"), out var n) ? n : 50;
        var original = File.ReadAllBytes(PathOf(file));
        var rng = new Random(seed);
        int rejected = 0, loaded = 0;
        var failures = new List<string>();
        using var input = randn(2, 1, side, side);
        for (int i = 0; i < iterations; i++)
        {
            byte[] bytes;
            string what;
            if (i % 2 == 0)
            {
                int length = rng.Next(1, original.Length);
                bytes = original[..length];
                what = $"truncated to {length} bytes";
            }
            else
            {
                bytes = (byte[])original.Clone();
                int flips = rng.Next(1, 9);
                var positions = new List<int>();
                for (int k = 0; k < flips; k++)
                {
                    int p = rng.Next(bytes.Length);
                    bytes[p] ^= (byte)(1 << rng.Next(8));
                    positions.Add(p);
                }
                what = $"bits flipped at {string.Join(",", positions)}";
            }
            var path = Write($"fuzz_{i}.pt", bytes);
            var watch = Stopwatch.StartNew();
            var attempt = Task.Run(() =>
            {
                try
                {
                    using var scope = NewDisposeScope();
                    using var model = jit.load(path);
                    model.eval();
                    model.call(input);
                    return "loaded";
                }
                catch (InvalidDataException)
                {
                    return "rejected";
                }
                catch (Exception e)
                {
                    return $"unexpected {e.GetType().Name}: {e.Message}";
                }
            });
            if (!attempt.Wait(TimeSpan.FromSeconds(20)))
            {
                failures.Add($"{what}: load did not finish within 20 s");
                break;
            }
            watch.Stop();
            if (attempt.Result == "loaded") loaded++;
            else if (attempt.Result == "rejected") rejected++;
            else failures.Add($"{what}: {attempt.Result}");
            File.Delete(path);
        }
        Assert.That(failures, Is.Empty);
        Assert.That(rejected + loaded, Is.EqualTo(iterations));
        Assert.That(rejected, Is.GreaterThan(iterations / 2), "most corruptions must be detected");
    }
}
