using EquivarianceRegularizer.JitFuzz;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Hardening;

/// <summary>
/// Corrupt TorchScript files (truncated, bit-flipped, byte-spliced, entry-spliced and entry-corrupted with valid
/// CRCs, generated from tests/fixtures/jit/) either load or throw a .NET exception: no process crash, no hang.
/// Loads run in a child process (tools/EquivarianceRegularizer.JitFuzz) that reports each variant's outcome, so a
/// native abort would be counted rather than kill the test host. CI size: 250 variants; set ERT_JIT_FUZZ_COUNT
/// (e.g. 1000) for the full run, or use the tool directly.
/// </summary>
public class CorruptModelFileTests
{
    private static int Count => int.TryParse(Environment.GetEnvironmentVariable("ERT_JIT_FUZZ_COUNT"), out var n) && n > 0 ? n : 250;

    private static string FixtureDirectory => Path.GetDirectoryName(PathOf(SmallCnnScripted))!;

    [Test]
    public void Generator_IsDeterministic_AndEveryKindOfCorruptionAltersTheFile()
    {
        var a = CorruptVariantGenerator.FromDirectory(FixtureDirectory, seed: 5);
        var b = CorruptVariantGenerator.FromDirectory(FixtureDirectory, seed: 5);
        var kinds = new HashSet<CorruptionKind>();
        for (int i = 0; i < 50; i++)
        {
            var va = a.Make(i);
            var vb = b.Make(i);
            Assert.That(va.Bytes, Is.EqualTo(vb.Bytes), $"variant {i} must be reproducible from (seed, index)");
            var original = a.Fixtures.First(f => f.Name == va.BaseFixture).Bytes;
            Assert.That(va.Bytes, Is.Not.EqualTo(original), $"variant {i} ({va.Kind}: {va.Description}) must differ from its fixture");
            kinds.Add(va.Kind);
        }
        Assert.That(kinds, Is.EquivalentTo(Enum.GetValues<CorruptionKind>()));
    }

    [Test]
    public void EntrySplicedArchive_HasValidCrcs_SoOnlyLibtorchsParsersCanRejectIt()
    {
        var generator = CorruptVariantGenerator.FromDirectory(FixtureDirectory, seed: 5);
        var variant = Enumerable.Range(0, 20).Select(generator.Make).First(v => v.Kind == CorruptionKind.CorruptedEntryWithValidCrc);
        using var stream = new MemoryStream(variant.Bytes);
        using var zip = new System.IO.Compression.ZipArchive(stream);
        foreach (var entry in zip.Entries)
        {
            using var s = entry.Open();
            Assert.DoesNotThrow(() => s.CopyTo(Stream.Null), $"{entry.FullName}: .NET's zip reader checks CRCs too and must accept it");
        }
    }

    [Test]
    [CancelAfter(240_000)]
    public void CorruptArchives_EitherLoadOrThrowDotNetExceptions_NeverCrashOrHang()
    {
        var summary = FuzzRunner.Run(FixtureDirectory, Count, seed: 1, perVariantTimeout: TimeSpan.FromSeconds(20));
        TestContext.Out.WriteLine(summary.Describe());

        Assert.That(summary.Results, Has.Count.EqualTo(Count));
        Assert.That(summary.Count(FuzzOutcome.Crashed), Is.Zero, "no variant may crash the process");
        Assert.That(summary.Count(FuzzOutcome.Hung), Is.Zero, "no variant may hang");
        Assert.That(summary.Count(FuzzOutcome.Loaded) + summary.Count(FuzzOutcome.Threw), Is.EqualTo(Count));
        // Rejections are the documented InvalidDataException, not a raw native error or something unrelated.
        var rejections = summary.Results.Where(r => r.Outcome == FuzzOutcome.Threw).Select(r => r.Detail).Distinct();
        Assert.That(rejections, Is.EquivalentTo(new[] { nameof(InvalidDataException) }));
        // A truncated file always lacks its end-of-central-directory record. A byte splice is nearly always broken, but
        // can be a valid archive (e.g. a file joined to its own tail: junk before a complete central directory).
        Assert.That(summary.Results.Where(r => r.Kind == CorruptionKind.Truncated).Select(r => r.Outcome), Is.All.EqualTo(FuzzOutcome.Threw));
        var spliced = summary.Results.Where(r => r.Kind == CorruptionKind.SplicedBytes).ToList();
        Assert.That(spliced.Count(r => r.Outcome == FuzzOutcome.Threw), Is.GreaterThanOrEqualTo(spliced.Count * 9 / 10));
        Assert.That(summary.WorkerHandleCounts, Is.All.Zero, "every tensor the worker made was released");
    }
}

/// <summary>The child-process runner itself: a dead or stalled worker is counted and the run goes on.</summary>
public class FuzzRunnerSelfTests
{
    private static string FixtureDirectory => Path.GetDirectoryName(PathOf(SmallCnnScripted))!;

    [Test]
    [CancelAfter(120_000)]
    public void WorkerThatAborts_IsCountedAsCrashed_AndTheRemainingVariantsStillRun()
    {
        var summary = FuzzRunner.Run(FixtureDirectory, 6, seed: 1, perVariantTimeout: TimeSpan.FromSeconds(20), selfTest: (AbortAt: 2, HangAt: null));
        Assert.That(summary.Results.Select(r => r.Outcome == FuzzOutcome.Crashed), Is.EqualTo(new[] { false, false, true, false, false, false }));
        Assert.That(summary.Results[2].Detail, Does.Contain("exited with code"));
        Assert.That(summary.Count(FuzzOutcome.Loaded) + summary.Count(FuzzOutcome.Threw), Is.EqualTo(5));
    }

    [Test]
    [CancelAfter(120_000)]
    public void WorkerThatStalls_IsCountedAsHung_WithinTheBound_AndKilled()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var summary = FuzzRunner.Run(FixtureDirectory, 4, seed: 1, perVariantTimeout: TimeSpan.FromSeconds(3), selfTest: (AbortAt: null, HangAt: 1));
        Assert.That(summary.Results.Select(r => r.Outcome == FuzzOutcome.Hung), Is.EqualTo(new[] { false, true, false, false }));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
    }
}
