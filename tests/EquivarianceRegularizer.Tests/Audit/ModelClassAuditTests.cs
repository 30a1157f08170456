using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>
/// TorchSharp twins of tests/fixtures/modelclasses: a model made invariant by averaging a
/// non-equivariant network over C4, and a circular stride-2 CNN under cyclic shifts.
/// </summary>
public class ModelClassAuditTests
{
    [Test]
    public void GroupAveragedModel_Passes_AndSaysItsLayersAreNotIndividuallyEquivariantByDesign()
    {
        using var model = new C4AveragedCnn();
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), new AuditOptions { InputShape = new long[] { 1, 12, 12 }, Samples = 8 });
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass), string.Join("; ", r.Reasons));
        Assert.That(r.Diagnoses, Is.Empty, "no custom_layer faults for a model symmetric by design");
        Assert.That(r.Reasons, Has.Some.Contains("not individually equivariant by design"));
        Assert.That(r.Layers.Any(l => l.Tested && l.VerdictText == "FAIL"), Is.True, "its inner layers are measured, and are not equivariant");
    }

    [Test]
    public void StridedCircularCnn_UnderShifts_NamesTheStridedConvAndDiagnosesAliasing_AndTestsTheGlobalPool()
    {
        using var g = new Generator(4);
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 4, 3, stride: 2, padding: 1, padding_mode: PaddingModes.Circular).Seeded(g)), ("relu", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("head", nn.Linear(4, 3).Seeded(g)));
        var r = Auditor.Audit(model, Symmetry.Invariant(new CyclicShift(12)), new AuditOptions { InputShape = new long[] { 1, 12, 12 }, Samples = 8 });
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), string.Join("; ", r.Reasons));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("conv"));
        var d = r.Diagnoses.Single(x => x.Kind == DiagnosisKind.Downsampling);
        Assert.That(d.Location, Is.EqualTo("conv"));
        Assert.That(d.Fix, Does.Contain("anti-aliased"));
        Assert.That(r.Layers.Single(l => l.Name == "pool").Tested, Is.True, "a global pool to 1×1 is acted on trivially, so it is tested");
    }
}
