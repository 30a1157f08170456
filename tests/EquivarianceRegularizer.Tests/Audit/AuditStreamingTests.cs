using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Phases;
using EquivarianceRegularizer.Audit.Reports;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>The layer-wise and gradient tests walk the samples in chunks under the memory budget; chunking changes no number.</summary>
public class AuditStreamingTests
{
    private static AuditOptions Options(long? perChunk) => new()
    {
        InputShape = new long[] { 1, 10, 10 }, Samples = 7, Gradient = true, SamplesPerChunk = perChunk,
    };

    private static void AssertClose(double a, double b, string what)
    {
        if (double.IsNaN(b)) Assert.That(a, Is.NaN, what);
        else Assert.That(a, Is.EqualTo(b).Within(1e-6 + 1e-4 * Math.Abs(b)), what);
    }

    [Test]
    public void LayersAndGradient_InChunksOfThree_EqualOnePass()
    {
        using var model = Cnns.NamedCnn(seed: 5);
        var spec = Symmetry.Invariant(new RotationByQuarterTurns());
        var whole = Auditor.Audit(model, spec, Options(null));
        var chunked = Auditor.Audit(model, spec, Options(3));
        Assert.That(chunked.Notes, Has.Some.Contains("7 samples in 3 chunks of at most 3"), ReportText.Render(chunked));
        Assert.That(whole.Notes, Has.None.Contains("chunks"), "seven small samples fit the default budget in one chunk");
        Assert.That(whole.Layers.Count(l => l.Tested), Is.GreaterThanOrEqualTo(5), ReportText.Render(whole));
        Assert.That(whole.Layers.Any(l => l.OwnMaxRelative > 1e-3), Is.True, "the unconstrained convolutions fail, so the numbers compared are not all zero");
        Assert.That(chunked.Layers.Select(l => l.Name), Is.EqualTo(whole.Layers.Select(l => l.Name)));
        for (int i = 0; i < whole.Layers.Count; i++)
        {
            var (a, b) = (chunked.Layers[i], whole.Layers[i]);
            AssertClose(a.OwnMaxRelative, b.OwnMaxRelative, b.Name + " own max");
            AssertClose(a.OwnMeanRelative, b.OwnMeanRelative, b.Name + " own mean");
            AssertClose(a.CumulativeMaxRelative, b.CumulativeMaxRelative, b.Name + " cumulative");
            AssertClose(a.ActivationNorm, b.ActivationNorm, b.Name + " activation norm");
            AssertClose(a.GradientNorm, b.GradientNorm, b.Name + " gradient norm");
            Assert.That(a.VerdictText, Is.EqualTo(b.VerdictText), b.Name);
            if (b.ErrorMap is { } map)
                for (int p = 0; p < map.Values.Length; p++) AssertClose(a.ErrorMap!.Values[p], map.Values[p], $"{b.Name} map pixel {p}");
        }
        Assert.That(whole.Gradient!.Judged, Is.True);
        AssertClose(chunked.Gradient!.Relative!.Max, whole.Gradient.Relative!.Max, "gradient max");
        AssertClose(chunked.Gradient.Relative.Mean, whole.Gradient.Relative.Mean, "gradient mean");
        AssertClose(chunked.Gradient.MedianGradientNorm, whole.Gradient.MedianGradientNorm, "median gradient norm");
        Assert.That(chunked.Gradient.Relative.Count, Is.EqualTo(whole.Gradient.Relative.Count));
        Assert.That(chunked.FirstFailingLayer, Is.EqualTo(whole.FirstFailingLayer));
        Assert.That(chunked.Verdict, Is.EqualTo(whole.Verdict));
    }

    [TestCase(100L << 20, 2L << 30, 500L << 20, 3)]   // (2048 − 500) MiB over 4 × 100 MiB
    [TestCase(100L << 20, 2L << 30, 3L << 30, 0)]     // the process alone holds more than the budget: an eighth of it, 256 MiB < 400 MiB
    [TestCase(1L << 20, 2L << 30, 0L, 512)]
    [TestCase(0L, 2L << 30, 0L, long.MaxValue)]       // nothing captured: everything fits
    public void Fit_SharesWhatTheBudgetLeaves_AmongFourCapturesPerSample(long perSample, long budget, long resident, long expected) =>
        Assert.That(SampleChunks.Fit(perSample, budget, resident), Is.EqualTo(expected));

    [Test]
    public void MemoryBudget_BelowTheMinimum_IsRejected_NamingTheOption()
    {
        using var model = Cnns.NamedCnn(seed: 5);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
            Options(null) with { MemoryBudgetBytes = 10L << 20 }));
        Assert.That(e!.ParamName, Is.EqualTo(nameof(AuditOptions.MemoryBudgetBytes)));
        Assert.That(e.Message, Does.Contain("256 MiB"));
    }

    [Test]
    public void LayerSelection_TestsAndReportsOnlyTheChosenLayers()
    {
        using var model = Cnns.NamedCnn(seed: 5);
        var spec = Symmetry.Invariant(new RotationByQuarterTurns());
        var only = Auditor.Audit(model, spec, Options(null) with { LayerSelection = new LayerSelection(new[] { "conv*" }, new[] { "conv2" }) });
        Assert.That(only.Layers.Select(l => l.Name), Is.EqualTo(new[] { "conv" }), ReportText.Render(only));
        Assert.That(only.Notes, Has.Some.Contains("layers matching conv*, except those matching conv2"));
        Assert.That(only.FirstFailingLayer, Is.EqualTo("conv"));
        var none = Auditor.Audit(model, spec, Options(null) with { LayerSelection = new LayerSelection(new[] { "nothing.here" }, Array.Empty<string>()) });
        Assert.That(none.Layers, Is.Empty);
        Assert.That(none.Notes, Has.Some.Contains("no called layer is among"));
    }
}
