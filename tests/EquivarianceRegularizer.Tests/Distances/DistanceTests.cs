using EquivarianceRegularizer.Distances;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Distances;

public class DistanceTests
{
    // Two samples of shape (2, 2): differences [[1, -2], [0, 2]] and [[0, 0], [-3, 4]].
    private static (Tensor a, Tensor b) Pair()
    {
        var a = tensor(new double[] { 1, 0, 2, 2, 5, 1, -3, 4 }, new long[] { 2, 2, 2 });
        var b = tensor(new double[] { 0, 2, 2, 0, 5, 1, 0, 0 }, new long[] { 2, 2, 2 });
        return (a, b);
    }

    [TestCase(1.0, 5.0, 7.0)]
    [TestCase(2.0, 3.0, 5.0)]
    [TestCase(3.0, 2.571281590658235, 4.497941445275415)] // (1+8+0+8)^(1/3), (27+64)^(1/3)
    public void Lp_MatchesHandComputedValues(double p, double first, double second)
    {
        using var scope = NewDisposeScope();
        var (a, b) = Pair();
        var d = Distance.Lp(p).PerSample(a, b).ToArrayDouble();
        Assert.That(d[0], Is.EqualTo(first).Within(1e-12));
        Assert.That(d[1], Is.EqualTo(second).Within(1e-12));
    }

    [Test]
    public void Inf_IsTheLargestAbsoluteDifferencePerSample()
    {
        using var scope = NewDisposeScope();
        var (a, b) = Pair();
        Distance dist = Distance.Inf;
        Assert.That(dist.PerSample(a, b).ToArrayDouble(), Is.EqualTo(new[] { 2.0, 4.0 }).Within(1e-12));
    }

    [Test]
    public void LpOfTwoAndParsedTwo_GiveTheL2Distance()
    {
        using var scope = NewDisposeScope();
        var (a, b) = Pair();
        Distance two = Distance.Lp(2);
        Distance parsed = Distance.Parse("2");
        Assert.That(two.PerSample(a, b).ToArrayDouble(), Is.EqualTo(new[] { 3.0, 5.0 }).Within(1e-12));
        Assert.That(parsed.PerSample(a, b).ToArrayDouble(), Is.EqualTo(new[] { 3.0, 5.0 }).Within(1e-12));
    }

    [Test]
    public void CrossEntropy_ComparesLogsOfProbabilities()
    {
        using var scope = NewDisposeScope();
        var p = tensor(new double[] { 0.5, 0.25, 0.25, 0.1, 0.2, 0.7 }, new long[] { 2, 3 });
        var q = tensor(new double[] { 0.25, 0.25, 0.5, 0.1, 0.2, 0.7 }, new long[] { 2, 3 });
        var d = Distance.CrossEntropy.PerSample(p, q).ToArrayDouble();
        // log 0.5 − log 0.25 = ln 2, twice: sqrt(2)·ln 2.
        Assert.That(d[0], Is.EqualTo(Math.Sqrt(2) * Math.Log(2)).Within(1e-12));
        Assert.That(d[1], Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void CrossEntropyLogits_IsInvariantToAConstantShiftAndMatchesHandValue()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2, 3, 0, 0, 0 }, new long[] { 2, 3 });
        var b = tensor(new double[] { 11, 12, 13, 0, Math.Log(2), 0 }, new long[] { 2, 3 });
        var d = Distance.CrossEntropyLogits.PerSample(a, b).ToArrayDouble();
        Assert.That(d[0], Is.EqualTo(0).Within(1e-12));
        // log_softmax([0,0,0]) = −ln 3 each; log_softmax([0, ln2, 0]) = [−ln4, ln2−ln4, −ln4].
        double l3 = Math.Log(3), l4 = Math.Log(4), l2 = Math.Log(2);
        double expected = Math.Sqrt(2 * Math.Pow(l4 - l3, 2) + Math.Pow(l2 - l4 + l3, 2));
        Assert.That(d[1], Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Delegate_CanReturnPerSampleValuesOrAScalar()
    {
        using var scope = NewDisposeScope();
        var (a, b) = Pair();
        var perSample = Distance.FromDelegate((x, y) => (x - y).abs().sum(new long[] { 1, 2 }));
        var scalar = Distance.FromDelegate((x, y) => (x - y).abs().sum());
        Assert.That(perSample.PerSample(a, b).ToArrayDouble(), Is.EqualTo(new[] { 5.0, 7.0 }).Within(1e-12));
        Assert.That(scalar.PerSample(a, b).ToDouble(), Is.EqualTo(12.0).Within(1e-12));
        Assert.That(scalar.IsPerSample, Is.False);
    }

    [Test]
    public void Delegate_ReturningAWrongShape_IsRejected()
    {
        using var scope = NewDisposeScope();
        var (a, b) = Pair();
        var bad = Distance.FromDelegate((x, y) => x - y);
        Assert.That(() => bad.PerSample(a, b), Throws.InvalidOperationException.With.Message.Contains("expected a scalar or (2)"));
    }

    [TestCase(0.5)]
    [TestCase(0.0)]
    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    public void Lp_WithPBelowOne_Throws(double p) =>
        Assert.That(() => Distance.Lp(p), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("p ≥ 1"));

    [Test]
    public void UnknownName_Throws() =>
        Assert.That(() => Distance.Parse("hellinger"), Throws.ArgumentException.With.Message.Contains("Unknown distance 'hellinger'"));

    [Test]
    public void DifferentShapes_AreNamedInTheError()
    {
        using var scope = NewDisposeScope();
        var a = zeros(2, 3);
        var b = zeros(2, 4);
        Assert.That(() => Distance.L2.PerSample(a, b), Throws.ArgumentException.With.Message.Contains("[2, 3]").And.Message.Contains("[2, 4]"));
    }

    [Test]
    public void L2_OfIdenticalOutputs_HasFiniteZeroGradient()
    {
        using var scope = NewDisposeScope();
        var a = randn(new long[] { 3, 4 }, requires_grad: true);
        var d = Distance.L2.PerSample(a, a.detach()).sum();
        d.backward();
        Assert.That(a.grad!.all_finite(), Is.True);
    }
}
