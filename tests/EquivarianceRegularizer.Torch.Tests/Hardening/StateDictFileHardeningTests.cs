using System.Text;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests.Hardening;

/// <summary>Corrupt and hostile state-dict files (Module.load / StateDictFile.Load) give InvalidDataException.</summary>
public class StateDictFileHardeningTests
{
    private string _dir = "";

    [SetUp]
    public void CreateTempDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ert-sd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteTempDirectory() => Directory.Delete(_dir, recursive: true);

    // magic, version 1, one entry "w" float32 with the given sizes and declared byte count, then `payload` bytes.
    private string Crafted(long[] shape, long byteCount, int payload)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("ERTSTATE"u8.ToArray());
            w.Write(1);
            w.Write(1);
            w.Write(1);
            w.Write((byte)'w');
            w.Write((int)ScalarType.Float32);
            w.Write(shape.Length);
            foreach (var s in shape) w.Write(s);
            w.Write(byteCount);
            w.Write(new byte[payload]);
        }
        var path = Path.Combine(_dir, $"crafted_{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, ms.ToArray());
        return path;
    }

    [Test]
    public void SizesWhoseProductOverflows_AreRejected_NotHandedToLibtorch()
    {
        // 2^32 × 2^32 elements wrap to 0 in 64-bit arithmetic, matching a declared byte count of 0.
        var path = Crafted(new[] { 1L << 32, 1L << 32 }, 0, 0);
        var ex = Assert.Throws<InvalidDataException>(() => Modules.StateDictFile.Load(path));
        Assert.That(ex!.Message, Does.Contain("'w'"));
    }

    [Test]
    public void DeclaredByteCountBeyondTheFile_IsRejected_WithoutAllocatingIt()
    {
        // 256 Mi floats declared (1 GiB) in a file of a few dozen bytes.
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var path = Crafted(new[] { 1L << 28 }, 1L << 30, 16);
        var ex = Assert.Throws<InvalidDataException>(() => Modules.StateDictFile.Load(path));
        Assert.That(ex!.Message, Does.Contain("'w'"));
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - before, Is.LessThan(64L << 20), "no buffer of the declared size was allocated");
    }

    [Test]
    public void RandomlyCorruptedFiles_LoadOrThrowInvalidData()
    {
        var path = Path.Combine(_dir, "model.bin");
        using (var model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)))
            model.save(path);
        var original = File.ReadAllBytes(path);
        var rng = new Random(3);
        int rejected = 0, loaded = 0;
        var unexpected = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            byte[] bytes;
            if (i % 2 == 0) bytes = original[..rng.Next(0, original.Length)];
            else
            {
                bytes = (byte[])original.Clone();
                for (int k = rng.Next(1, 5); k > 0; k--) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
            }
            var variant = Path.Combine(_dir, $"v{i}.bin");
            File.WriteAllBytes(variant, bytes);
            try
            {
                using var scope = NewDisposeScope();
                using var fresh = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3));
                fresh.load(variant);
                loaded++;
            }
            catch (InvalidDataException) { rejected++; }
            catch (ArgumentException) { rejected++; } // e.g. strict loading: a renamed key or a changed shape
            catch (Exception e) { unexpected.Add($"#{i}: {e.GetType().Name}: {e.Message}"); }
            File.Delete(variant);
        }
        Assert.That(unexpected, Is.Empty);
        Assert.That(rejected + loaded, Is.EqualTo(300));
        Assert.That(rejected, Is.GreaterThan(150));
    }
}
