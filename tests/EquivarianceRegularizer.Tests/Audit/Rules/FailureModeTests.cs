using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EquivarianceRegularizer.Tests.Audit.Rules;

/// <summary>Each failure mode of the auditor workflow is caught and diagnosed at the right layer.</summary>
public class FailureModeTests
{
    private static AuditOptions Image(long size = 12, int samples = 8) => new() { InputShape = new long[] { 1, size, size }, Samples = samples, Gradient = true };

    private static readonly RotationByQuarterTurns Rot90 = new();

    private static Diagnosis Single(AuditReport r, DiagnosisKind kind)
    {
        var found = r.Diagnoses.Where(d => d.Kind == kind).ToList();
        Assert.That(found, Is.Not.Empty, ReportText.Render(r));
        return found[0];
    }

    [Test]
    public void LayerNormOverWidth_UnderRot90_IsNormalization_AtThatLayer()
    {
        using var g = new Generator(3);
        // A ReLU after the norm: the average of rows normalised to zero mean is identically zero, and its gradient noise.
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g), new Fn("LayerNorm", x => F.layer_norm(x, new long[] { 12 })), Layers.Relu(), Layers.GlobalAvgPool(), Layers.Linear(4, 3, g));
        var r = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("1"));
        var d = Single(r, DiagnosisKind.Normalization);
        Assert.That(d.Location, Is.EqualTo("1"));
        Assert.That(d.Severity, Is.EqualTo(Severity.High));
    }

    [Test]
    public void Stride2OnEvenSize_IsDownsampling_AndOddSizeFixesIt()
    {
        using var g = new Generator(4);
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g, stride: 2, padding: 1), Layers.Relu(), Layers.GlobalAvgPool(), Layers.Linear(4, 3, g));
        var even = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image(12));
        Assert.That(even.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(even));
        Assert.That(even.FirstFailingLayer, Is.EqualTo("0"));
        Assert.That(Single(even, DiagnosisKind.Downsampling).Location, Is.EqualTo("0"));

        var odd = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image(13));
        Assert.That(odd.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(odd));
    }

    [Test]
    public void CyclicShift_WithZeroPadding_IsBoundary_AndCircularPaddingPasses()
    {
        var roll = new CyclicShift(12);
        using var zeroPadded = Cnns.EquivariantFcn(paddingMode: "zeros");
        var r = Auditor.Audit(zeroPadded, Symmetry.Equivariant(roll), Image());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
        Assert.That(r.EndToEnd!.Elements, Is.EqualTo(11));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("0"));
        Assert.That(Single(r, DiagnosisKind.Boundary).Location, Is.EqualTo("0"));
        Assert.That(r.EndToEnd.ErrorMap, Is.Not.Null);

        using var circular = Cnns.EquivariantFcn(paddingMode: "circular");
        var ok = Auditor.Audit(circular, Symmetry.Equivariant(roll), Image());
        Assert.That(ok.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(ok));
    }

    [Test]
    public void Dropout_InTrainMode_IsTrainMode_AtTheDropout_ButPassesInEvalMode()
    {
        using var g = new Generator(5);
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g), Layers.Dropout(0.5), Layers.GlobalAvgPool(), Layers.Linear(4, 3, g));
        var train = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image() with { Mode = EvaluationMode.Train });
        Assert.That(train.Verdict, Is.Not.EqualTo(Verdict.Pass), ReportText.Render(train));
        Assert.That(train.EvaluationMode, Is.EqualTo("train"));
        Assert.That(train.Diagnoses.Any(d => d.Kind == DiagnosisKind.TrainMode && d.Location == "1" && d.Severity == Severity.High), Is.True, ReportText.Render(train));

        var eval = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image());
        Assert.That(eval.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(eval));
        Assert.That(eval.EvaluationMode, Is.EqualTo("eval"));
        Assert.That(eval.Notes.Any(n => n.Contains("eval mode", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public void BatchNorm_InTrainMode_DependsOnBatchComposition_AndRunningStatsAreRestored()
    {
        using var g = new Generator(6);
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g), new FunctionalBatchNorm(4, affine: false), Layers.Relu(), Layers.GlobalAvgPool(), Layers.Linear(4, 3, g));
        var before = model.named_buffers().Select(b => b.buffer.ToArrayDouble()).ToList();
        var r = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image() with { Mode = EvaluationMode.Train });
        var d = r.Diagnoses.FirstOrDefault(d => d.Kind == DiagnosisKind.TrainMode && d.Location == "1");
        Assert.That(d, Is.Not.Null, ReportText.Render(r));
        Assert.That(d!.Evidence, Does.Contain("batch"));
        Assert.That(r.Verdict, Is.Not.EqualTo(Verdict.Pass));
        var after = model.named_buffers().Select(b => b.buffer.ToArrayDouble()).ToList();
        Assert.That(after, Is.EqualTo(before), "running statistics updated in train mode must be restored");
    }

    [Test]
    public void CatastrophicCancellation_CollapsesInFloat64_IsPrecision_NotFail()
    {
        using var g = new Generator(7);
        // Variance as E[x²] − E[x]² after a large offset: exact symmetry, float32 rounding depends on summation order.
        var variance = new Fn("OffsetVariance", x =>
        {
            using var s = NewDisposeScope();
            var shifted = x + 300.0;
            var v = (shifted * shifted).mean(new long[] { 2, 3 }) - shifted.mean(new long[] { 2, 3 }).square();
            return v.MoveToOuterDisposeScope();
        });
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g), variance);
        var r = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image(24));
        Assert.That(r.Precision, Is.Not.Null, ReportText.Render(r));
        Assert.That(r.Precision!.Collapsed, Is.True, ReportText.Render(r));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.NeedsAttention), ReportText.Render(r));
        Assert.That(Single(r, DiagnosisKind.Precision).Severity, Is.EqualTo(Severity.Medium));
        Assert.That(r.Diagnoses.Any(d => d.Kind == DiagnosisKind.CustomLayer), Is.False, "precision must not be reported as a bug");
    }

    [Test]
    public void NaNProducingLayer_IsNonFinite_AtThatLayer_AndFails()
    {
        using var g = new Generator(8);
        using var model = nn.Sequential(Layers.Conv(1, 4, 3, g), new Fn("LogOfShifted", x => (x - 5.0).log()), Layers.GlobalAvgPool());
        var r = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(r.EndToEnd!.NonFinite, Is.True);
        Assert.That(Single(r, DiagnosisKind.NonFinite).Location, Is.EqualTo("1"));
    }

    [Test]
    public void EquivariantOutput_DeclaredInvariant_IsOutputTransform()
    {
        using var model = Cnns.EquivariantFcn();
        var r = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
        var d = Single(r, DiagnosisKind.OutputTransform);
        Assert.That(d.Evidence, Does.Contain("equivariant"));
        Assert.That(d.Fix, Does.Contain("--output equivariant"));
    }

    [Test]
    public void OutputTransformThatCannotAct_IsOutputTransform_WithoutCrashing()
    {
        using var model = Cnns.InvariantCnn();
        var r = Auditor.Audit(model, Symmetry.Equivariant(Rot90), Image());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(r.EndToEnd, Is.Null);
        Assert.That(Single(r, DiagnosisKind.OutputTransform).Evidence, Does.Contain("cannot be applied"));
    }

    [Test]
    public void PointwiseReluOnRotatingVectors_IsNonlinearity_AtTheRelu()
    {
        var so2 = new RandomLambdaTransform("so2",
            new CustomGroup("SO(2)", (b, gen) => rand(new[] { b, 1L }, dtype: ScalarType.Float64, generator: gen) * (2 * Math.PI)),
            (x, angle) => RotateLastAxis(x, angle));
        using var model = nn.Sequential(new Fn("Scale", x => x * 2.0), Layers.Relu(), new Fn("SumOverSet", x => x.sum(new long[] { 1 })));
        var r = Auditor.Audit(model, Symmetry.Equivariant(so2), new AuditOptions { InputShape = new long[] { 5, 2 }, Samples = 8, Bounds = (-1, 1) });
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("1"));
        Assert.That(Single(r, DiagnosisKind.Nonlinearity).Location, Is.EqualTo("1"));
        Assert.That(r.EndToEnd!.ElementSource, Does.Contain("random"));
    }

    internal static Tensor RotateLastAxis(Tensor x, Tensor angle)
    {
        using var s = NewDisposeScope();
        var shape = Enumerable.Repeat(1L, x.Rank() - 1).ToArray();
        shape[0] = x.size(0);
        var c = angle.cos().to(x.dtype).reshape(shape);
        var sn = angle.sin().to(x.dtype).reshape(shape);
        var a = x.select(x.Rank() - 1, 0);
        var b = x.select(x.Rank() - 1, 1);
        return stack(new[] { a * c - b * sn, a * sn + b * c }, -1).MoveToOuterDisposeScope();
    }

    [Test]
    public void BugInModelForwardBetweenLayers_IsCustomLayer_AtModelForward()
    {
        using var model = new ForwardBug();
        var r = Auditor.Audit(model, Symmetry.Invariant(Rot90), Image());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(r.FirstFailingLayer, Is.Null);
        Assert.That(Single(r, DiagnosisKind.CustomLayer).Location, Does.StartWith("model forward"));
    }
}
