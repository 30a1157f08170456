using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EquivarianceRegularizer.Tests.Audit;

public class AuditorTests
{
    private static AuditOptions Image(int samples = 8, ulong seed = 0) => new() { InputShape = new long[] { 1, 12, 12 }, Samples = samples, Seed = seed, Gradient = true };

    [Test]
    public void Rot90_OfSymmetricInvariantCnn_Passes_WithEveryLayerTested()
    {
        using var model = Cnns.InvariantCnn();
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(r));
        Assert.That(r.EndToEnd!.Relative.Max, Is.LessThan(1e-5));
        Assert.That(r.EndToEnd.Elements, Is.EqualTo(3), "all non-identity elements of C4 are enumerated");
        Assert.That(r.EndToEnd.IdentityRelativeError, Is.EqualTo(0));
        Assert.That(r.FirstFailingLayer, Is.Null);
        Assert.That(r.Layers.Where(l => !l.IsContainer).All(l => l.Tested), Is.True, ReportText.Render(r));
        Assert.That(r.Gradient!.Judged, Is.True);
        Assert.That(r.Gradient.Grade, Is.LessThanOrEqualTo(ErrorGrade.Excellent));
        Assert.That(r.Diagnoses, Is.Empty);
    }

    [Test]
    public void DihedralGroup_IsEnumeratedExhaustively()
    {
        using var model = Cnns.InvariantCnn();
        var r = Auditor.Audit(model, Symmetry.Invariant(new DihedralTransform()), Image(4));
        Assert.That(r.EndToEnd!.Elements, Is.EqualTo(7));
        Assert.That(r.EndToEnd.Relative.Count, Is.EqualTo(28));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass), ReportText.Render(r));
    }

    [Test]
    public void UnconstrainedConv_Fails_AtFirstConv_WithCustomLayerDiagnosis()
    {
        using var model = Cnns.InvariantCnn(symmetric: false);
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image());
        TestContext.Out.WriteLine(ReportText.Render(r));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), ReportText.Render(r));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("0"));
        Assert.That(r.Diagnoses[0].Kind, Is.EqualTo(DiagnosisKind.CustomLayer));
        Assert.That(r.Diagnoses[0].Location, Is.EqualTo("0"));
    }
}
