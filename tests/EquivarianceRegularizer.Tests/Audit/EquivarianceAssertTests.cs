using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.NUnit;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

public class EquivarianceAssertTests
{
    [Test]
    public void IsInvariant_OfSymmetricCnn_Passes_AndReturnsTheReport()
    {
        using var model = Cnns.InvariantCnn();
        var report = EquivarianceAssert.IsInvariant(model, new RotationByQuarterTurns(), new long[] { 1, 10, 10 });
        Assert.That(report.Verdict, Is.EqualTo(Verdict.Pass));
    }

    [Test]
    public void IsInvariant_OfUnconstrainedCnn_FailsWithSummaryAndFirstFailingLayer()
    {
        using var model = Cnns.InvariantCnn(symmetric: false);
        var ex = Assert.Throws<AssertionException>(() => EquivarianceAssert.IsInvariant(model, new RotationByQuarterTurns(), new long[] { 1, 10, 10 }));
        Assert.That(ex!.Message, Does.Contain("FAIL").And.Contain("first failing layer: 0").And.Contain("custom_layer").And.Contain("fix:"));
    }

    [Test]
    public void IsEquivariant_OnGivenData_UsesThatData()
    {
        using var model = Cnns.EquivariantFcn(paddingMode: "circular");
        using var scope = NewDisposeScope();
        var data = rand(3, 1, 8, 8);
        var report = EquivarianceAssert.IsEquivariant(model, new CyclicShift(8), data);
        Assert.That(report.EndToEnd!.Samples, Is.EqualTo(3));
        Assert.That(report.EndToEnd.Elements, Is.EqualTo(7));
    }

    [Test]
    public void IsEquivariant_DeclaredForAnInvariantModel_Fails()
    {
        using var model = Cnns.InvariantCnn();
        Assert.Throws<AssertionException>(() => EquivarianceAssert.IsEquivariant(model, new RotationByQuarterTurns(), new long[] { 1, 8, 8 }));
    }
}
