using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>The auditor on models built from our nn library.</summary>
public class NnModelAuditTests
{
    private static void SymmetrizeD4(Tensor weight)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var acc = zeros_like(weight);
        for (int f = 0; f < 2; f++)
        {
            var wf = f == 0 ? weight : weight.flip(3);
            for (int r = 0; r < 4; r++) acc = acc + wf.rot90(r, (2, 3));
        }
        weight.copy_(acc / 8);
    }

    private static nn.Module<Tensor, Tensor> Cnn(bool symmetric, string padding = "zeros")
    {
        using var g = new Generator(21);
        var c1 = nn.Conv2d(1, 6, 3, padding: 1, padding_mode: padding == "circular" ? PaddingModes.Circular : PaddingModes.Zeros).Seeded(g);
        var c2 = nn.Conv2d(6, 6, 3, padding: 1, padding_mode: padding == "circular" ? PaddingModes.Circular : PaddingModes.Zeros).Seeded(g);
        if (symmetric) { SymmetrizeD4(c1.weight); SymmetrizeD4(c2.weight); }
        return nn.Sequential(c1, nn.BatchNorm2d(6), nn.ReLU(), nn.Dropout(0.3), c2, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3).Seeded(g));
    }

    private static AuditOptions Image => new() { InputShape = new long[] { 1, 12, 12 }, Samples = 8, Gradient = true };

    [Test]
    public void SymmetricNnCnn_PassesRot90AndFlips_InEvalMode_WithEveryLayerTested()
    {
        using var model = Cnn(symmetric: true);
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
        using var model = Cnn(symmetric: false);
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("0"));
        Assert.That(r.Diagnoses[0].Kind, Is.EqualTo(DiagnosisKind.CustomLayer));
    }

    [Test]
    public void NnCnn_InTrainMode_IsDiagnosedTrainMode()
    {
        using var model = Cnn(symmetric: true);
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
