using EquivarianceRegularizer.Groups;
using System.Text.Json;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

public class AuditCoreTests
{
    private static AuditOptions Image(long size = 10, int samples = 6) => new() { InputShape = new long[] { 1, size, size }, Samples = samples, Gradient = true };

    [Test]
    public void Float32Thresholds_AreTheSeedTable_AndFloat64IsStricter()
    {
        var f32 = Thresholds.For(ScalarType.Float32);
        Assert.That((f32.Perfect, f32.Excellent, f32.Approximate), Is.EqualTo((1e-6, 1e-4, 1e-2)));
        var f64 = Thresholds.For(ScalarType.Float64);
        Assert.That(f64.Perfect, Is.LessThan(f32.Perfect));
        Assert.That(f64.Excellent, Is.LessThan(f32.Excellent));
        Assert.That(f32.Grade(5e-7), Is.EqualTo(ErrorGrade.Perfect));
        Assert.That(f32.Grade(5e-5), Is.EqualTo(ErrorGrade.Excellent));
        Assert.That(f32.Grade(5e-3), Is.EqualTo(ErrorGrade.Approximate));
        Assert.That(f32.Grade(0.5), Is.EqualTo(ErrorGrade.Broken));
        Assert.That(f32.Grade(double.NaN), Is.EqualTo(ErrorGrade.Broken));
        Assert.That(f64.Grade(5e-7), Is.EqualTo(ErrorGrade.Approximate), "a float32-perfect error is a real error in float64");
    }

    [Test]
    public void Thresholds_RejectBadBands_AndNonFloatDtypes()
    {
        Assert.Throws<ArgumentException>(() => _ = new Thresholds(1e-2, 1e-4, 1e-6, 0));
        Assert.Throws<ArgumentException>(() => Thresholds.For(ScalarType.Int64));
    }

    [Test]
    public void Float64Audit_UsesFloat64Thresholds_AndRestoresDtypeAndMode()
    {
        using var model = Cnns.InvariantCnn();
        model.train();
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image() with { DType = ScalarType.Float64 });
        Assert.That(r.DType, Is.EqualTo(ScalarType.Float64));
        Assert.That(r.Thresholds, Is.EqualTo(Thresholds.Float64));
        Assert.That(r.EndToEnd!.Relative.Max, Is.LessThan(1e-12));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass));
        Assert.That(model.parameters().All(p => p.dtype == ScalarType.Float32), Is.True);
        Assert.That(model.training, Is.True);
        Assert.That(r.ModelWasTraining, Is.True);
    }

    [Test]
    public void RandomPermutations_NeverTestTheIdentity()
    {
        // Reads the first set element: any non-identity permutation of 2 elements changes it.
        using var model = nn.Sequential(new Fn("First", x => x.select(1, 0)));
        var r = Auditor.Audit(model, Symmetry.Invariant(new Permutation(2, 0)), new AuditOptions { InputShape = new long[] { 2, 3 }, Samples = 16, RandomDraws = 2, Layers = false });
        Assert.That(r.EndToEnd!.Relative.Min, Is.GreaterThan(0), "no sample may be tested against the identity");
        Assert.That(r.EndToEnd.ElementSource, Does.Contain("non-identity elements of S2"));
    }

    [Test]
    public void DeepSets_IsPermutationInvariant()
    {
        using var g = new Generator(11);
        using var model = nn.Sequential(Layers.Linear(3, 8, g), Layers.Relu(), new Fn("SumOverSet", x => x.sum(new long[] { 1 })), Layers.Linear(8, 2, g));
        var r = Auditor.Audit(model, Symmetry.Invariant(new Permutation(5, 0)), new AuditOptions { InputShape = new long[] { 5, 3 }, Samples = 8 });
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(r));
        Assert.That(r.Layers.Where(l => !l.IsContainer).All(l => l.Tested), Is.True);
    }

    [Test]
    public void UncalledLayer_IsListedWithReason_NotSkippedSilently()
    {
        using var model = new WithUnusedChild();
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image());
        var unused = r.Layers.Single(l => l.Name == "unused");
        Assert.That(unused.Tested, Is.False);
        Assert.That(unused.NotTestableReason, Is.EqualTo("not called during forward"));
        Assert.That(r.Layers.Select(l => l.Name), Is.SupersetOf(model.named_modules().Where(m => m.name.Length > 0).Select(m => m.name)));
    }

    [Test]
    public void LayerActionOverride_IsUsed()
    {
        using var model = Cnns.InvariantCnn();
        var options = Image() with
        {
            LayerActions = new Dictionary<string, LayerActionOverride> { ["1"] = LayerActionOverride.NotTestable("opaque by request") },
        };
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), options);
        var relu = r.Layers.Single(l => l.Name == "1");
        Assert.That(relu.Tested, Is.False);
        Assert.That(relu.NotTestableReason, Does.Contain("opaque by request"));
    }

    [Test]
    public void TinyGradientsThatFloat64Confirms_AreJudged_SmallIsNotNoise()
    {
        using var g = new Generator(12);
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g), Layers.Relu(), Layers.GlobalAvgPool(), new Fn("Tiny", x => x * 1e-12));
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image());
        Assert.That(r.Gradient!.MedianGradientNorm, Is.LessThan(1e-20), "far below any magnitude floor");
        Assert.That(r.Gradient.Judged, Is.True, r.Gradient.NotJudgedReason);
        Assert.That(r.Gradient.Floor, Is.LessThan(1e-4 * r.Gradient.MedianGradientNorm), "the float64 comparison puts the rounding level far below the gradients");
        Assert.That(r.Notes, Has.Some.Contains("small").And.Contains("not noise"));
    }

    [Test]
    public void GradientsThatDisagreeWithFloat64_AreRoundingNoise_NotJudged_AndSayWhy()
    {
        // (x·1e8 + x) − x·1e8: float32 keeps none of x (a float32 step near 1e8 is 8), float64 keeps it to 1e-8; the
        // gradients are as far apart. Elementwise, so every rotation commutes with it exactly.
        using var model = nn.Sequential(new Fn("Cancel", x => x * 1e8 + x - x * 1e8));
        var r = Auditor.Audit(model, Symmetry.Equivariant(new RotationByQuarterTurns()), Image());
        Assert.That(r.Gradient!.Judged, Is.False);
        Assert.That(r.Gradient.NotJudgedReason, Does.Contain("rounding noise").And.Contain("float64"));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.NeedsAttention));
    }

    [Test]
    public void GradientsAtTheFloat64Floor_AreNotJudged_AndSayWhy()
    {
        using var g = new Generator(12);
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g), Layers.Relu(), Layers.GlobalAvgPool(), new Fn("Tiny", x => x * 1e-30));
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image() with { DType = ScalarType.Float64 });
        Assert.That(r.Gradient!.Judged, Is.False);
        Assert.That(r.Gradient.NotJudgedReason, Does.Contain("numerical floor"));
    }

    [Test]
    public void AllZeroOutputs_AreVacuous_NotPass()
    {
        using var model = nn.Sequential(new Fn("Zero", x => x.mean(new long[] { 1, 2, 3 }) * 0.0));
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image() with { Gradient = false });
        Assert.That(r.Verdict, Is.EqualTo(Verdict.NeedsAttention));
        Assert.That(r.Reasons, Has.Some.Contains("vacuous"));
    }

    [Test]
    public void BadOptions_AreArgumentExceptions()
    {
        using var model = Cnns.InvariantCnn();
        var rot = Symmetry.Invariant(new RotationByQuarterTurns());
        Assert.Throws<ArgumentException>(() => Auditor.Audit(model, rot, new AuditOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => Auditor.Audit(model, rot, Image() with { Samples = 0 }));
        Assert.Throws<ArgumentException>(() => Auditor.Audit(model, rot, Image() with { Bounds = (1, 0) }));
        Assert.Throws<ArgumentException>(() => Auditor.Audit(model, rot, new AuditOptions { InputShape = new long[] { 12 } }));
        Assert.Throws<ArgumentException>(() => Symmetry.Equivariant(new RotationByQuarterTurns(), Flip.Horizontal()));
    }

    [Test]
    public void ContinuousRotation_IsJudgedAgainstTheInterpolationBaseline()
    {
        using var model = Cnns.InvariantCnn();
        var r = Auditor.Audit(model, Symmetry.Invariant(TransformCatalogue.CreateContinuous("rotate")), Image(16, 6));
        Assert.That(r.Baseline, Is.Not.Null);
        Assert.That(r.Baseline!.Mask, Is.EqualTo("central disk"));
        Assert.That(r.Baseline.MaxRelative, Is.GreaterThan(0));
        Assert.That(r.EndToEnd!.ElementSource, Does.Contain("random non-identity elements of SO(2)"));
        Assert.That(r.Gradient!.Applicable, Is.False);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(r));
    }

    [Test]
    public void ContinuousRotation_OfUnconstrainedFlattenModel_Fails()
    {
        using var g = new Generator(13);
        using var model = nn.Sequential(Layers.Conv(1, 2, 3, g, symmetric: false), Layers.Flatten(), Layers.Linear(2 * 16 * 16, 3, g));
        var r = Auditor.Audit(model, Symmetry.Invariant(TransformCatalogue.CreateContinuous("rotate")), Image(16, 6));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
    }

    [Test]
    public void RandomInitBaseline_IsMeasured_AndParametersAreRestored()
    {
        using var model = Cnns.InvariantCnn(symmetric: false);
        var before = model.parameters().Select(p => p.ToArrayDouble()).ToList();
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image() with { RandomInitBaseline = true, Layers = false, Gradient = false });
        Assert.That(r.RandomInit, Is.Not.Null);
        Assert.That(r.RandomInit!.MaxRelative, Is.GreaterThan(0));
        Assert.That(model.parameters().Select(p => p.ToArrayDouble()).ToList(), Is.EqualTo(before));
    }

    [Test]
    public void JsonAndMarkdown_EscapeAndEncodeEdgeCases()
    {
        using var model = Cnns.InvariantCnn();
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image() with { ModelName = "a|b <x> \"q\"" });
        using var doc = JsonDocument.Parse(JsonReport.Render(r));
        Assert.That(doc.RootElement.GetProperty("model").GetString(), Is.EqualTo("a|b <x> \"q\""));
        string md = MarkdownReport.Render(r);
        Assert.That(md, Does.Contain("a\\|b &lt;x&gt;"));
        Assert.That(ReportText.Render(r), Does.Contain("OVERALL VERDICT: PASS"));
    }

    [Test]
    public void AsIsMode_KeepsTheModelsMode_AndSaysSo()
    {
        using var model = Cnns.InvariantCnn();
        model.eval();
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image() with { Mode = EvaluationMode.AsIs, Layers = false });
        Assert.That(r.EvaluationMode, Is.EqualTo("as-is (eval)"));
        Assert.That(model.training, Is.False);
    }

    [Test]
    public void TextReport_FollowsTheSeedTemplate()
    {
        using var model = Cnns.InvariantCnn(symmetric: false);
        var text = ReportText.Render(Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image()));
        string[] sections =
        {
            "MODEL EQUIVARIANCE AUDIT REPORT", "Model: ", "Intended Symmetry: rot90 (C4)", "Symmetry Type: Invariant", "END-TO-END TESTS:",
            "Test samples: 6", "Transformations tested: 3", "- Mean absolute: ", "- Max absolute: ", "- Mean relative: ", "- Max relative: ",
            "- RESULT: FAIL", "LAYER-WISE ANALYSIS:", "- Layer: 0 (Conv2d)", "GRADIENT TEST:", "- Gradient equivariance error: ",
            "IDENTIFIED ISSUES:", "   - Location: 0", "   - Severity: High", "   - Recommended fix: ", "OVERALL VERDICT: FAIL", "Recommendations:",
        };
        int at = 0;
        foreach (var s in sections)
        {
            int i = text.IndexOf(s, at, StringComparison.Ordinal);
            Assert.That(i, Is.GreaterThanOrEqualTo(0), $"'{s}' missing or out of order in:\n{text}");
            at = i;
        }
    }

    [Test]
    public void Audit_DoesNotLeakTensors()
    {
        using var model = Cnns.InvariantCnn(symmetric: false);
        var spec = Symmetry.Invariant(new RotationByQuarterTurns());
        Auditor.Audit(model, spec, Image());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = TorchTestSupport.LiveTensors;
        Auditor.Audit(model, spec, Image() with { RandomInitBaseline = true });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(TorchTestSupport.LiveTensors, Is.EqualTo(before));
    }
}
