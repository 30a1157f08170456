using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>The auditor on models built from our nn library.</summary>
public class NnModelAuditTests
{
    private static AuditOptions Image => new() { InputShape = new long[] { 1, 12, 12 }, Samples = 8, Gradient = true };

    [Test]
    public void SymmetricNnCnn_PassesRot90AndFlips_InEvalMode_WithEveryLayerTested()
    {
        using var model = Cnns.BatchNormDropoutCnn(symmetric: true);
        foreach (IGroupTransform t in new IGroupTransform[] { new RotationByQuarterTurns(), Flip.Horizontal(), Flip.Vertical(), new DihedralTransform() })
        {
            var r = Auditor.Audit(model, Symmetry.Invariant(t), Image);
            Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(r));
            Assert.That(r.Layers.Count(l => l.Tested), Is.EqualTo(9), ReportText.Render(r));
            Assert.That(r.Layers.Where(l => l.Tested).All(l => double.IsFinite(l.GradientNorm)), Is.True, "gradient norms per layer");
            Assert.That(r.Diagnoses.All(d => d.Severity == Severity.Low), Is.True, ReportText.Render(r));
        }
    }

    [Test]
    public void UnconstrainedNnCnn_FailsAtFirstConv()
    {
        using var model = Cnns.BatchNormDropoutCnn(symmetric: false);
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("0"));
        Assert.That(r.Diagnoses[0].Kind, Is.EqualTo(DiagnosisKind.CustomLayer));
    }

    [Test]
    public void NnCnn_InTrainMode_IsDiagnosedTrainMode()
    {
        using var model = Cnns.BatchNormDropoutCnn(symmetric: true);
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image with { Mode = EvaluationMode.Train });
        Assert.That(r.Verdict, Is.Not.EqualTo(Verdict.Pass));
        Assert.That(r.Diagnoses.Where(d => d.Kind == DiagnosisKind.TrainMode && d.Severity == Severity.High).Select(d => d.Location),
            Has.Some.EqualTo("1").Or.Some.EqualTo("3"), ReportText.Render(r));
    }

    [Test]
    public void ZeroPaddedNnFcn_UnderRoll_IsBoundary()
    {
        using var g = new Generator(22);
        var c1 = nn.Conv2d(1, 4, 3, padding: 1).Seeded(g);
        var c2 = nn.Conv2d(4, 2, 3, padding: 1).Seeded(g);
        using var model = nn.Sequential(c1, nn.Tanh(), c2);
        var r = Auditor.Audit(model, Symmetry.Equivariant(new CyclicShift(12)), Image);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(r.Diagnoses.Where(d => d.Kind == DiagnosisKind.Boundary).Select(d => d.Location), Has.Some.EqualTo("0"), ReportText.Render(r));
    }
}
