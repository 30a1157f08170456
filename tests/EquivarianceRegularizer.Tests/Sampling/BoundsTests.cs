using EquivarianceRegularizer.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Sampling;

public class BoundsTests
{
    private static Tensor Draw(Bounds bounds, long[] shape, long n = 200)
    {
        using var g = new Generator(5);
        return PointSampling.Sample(MonteCarloSampler.Instance, n, shape, bounds, g, ScalarType.Float64);
    }

    [Test]
    public void ScalarPair_BroadcastsToEveryElement()
    {
        using var scope = NewDisposeScope();
        var x = Draw((-2.0, 3.0), new long[] { 2, 3 });
        Assert.That(x.shape, Is.EqualTo(new long[] { 200, 2, 3 }));
        Assert.That(x.min().ToDouble(), Is.GreaterThanOrEqualTo(-2.0));
        Assert.That(x.max().ToDouble(), Is.LessThan(3.0));
        Assert.That(x.min().ToDouble(), Is.LessThan(-1.5), "the lower part of the box is reached");
    }

    [Test]
    public void PerChannelTensor_BroadcastsOverSpatialAxes()
    {
        using var scope = NewDisposeScope();
        // channel 0 in [0, 1], channel 1 in [10, 10.5]: shape (2, 1, 1, 2) broadcasts to (2, 4, 4, 2).
        var b = tensor(new double[] { 0, 1, 10, 10.5 }, new long[] { 2, 1, 1, 2 });
        var x = Draw(b, new long[] { 2, 4, 4 });
        var c0 = x.select(1, 0);
        var c1 = x.select(1, 1);
        Assert.That(c0.min().ToDouble(), Is.GreaterThanOrEqualTo(0.0));
        Assert.That(c0.max().ToDouble(), Is.LessThan(1.0));
        Assert.That(c1.min().ToDouble(), Is.GreaterThanOrEqualTo(10.0));
        Assert.That(c1.max().ToDouble(), Is.LessThan(10.5));
    }

    [Test]
    public void FullShapeTensor_GivesEachElementItsOwnBox()
    {
        using var scope = NewDisposeScope();
        var lower = arange(0, 6, dtype: ScalarType.Float64).view(2, 3);
        var upper = lower + 0.5;
        var x = Draw(Bounds.FromLowerUpper(lower, upper), new long[] { 2, 3 });
        var offset = x - lower;
        Assert.That(offset.min().ToDouble(), Is.GreaterThanOrEqualTo(0.0));
        Assert.That(offset.max().ToDouble(), Is.LessThan(0.5));
    }

    [Test]
    public void TwoDimensionalArray_BoundsTheLastAxis()
    {
        using var scope = NewDisposeScope();
        var x = Draw(new double[,] { { 0, 1 }, { 5, 6 } }, new long[] { 3, 2 });
        Assert.That(x.select(2, 1).min().ToDouble(), Is.GreaterThanOrEqualTo(5.0));
        Assert.That(x.select(2, 0).max().ToDouble(), Is.LessThan(1.0));
    }

    [Test]
    public void EqualLowerAndUpper_GivesAConstant()
    {
        using var scope = NewDisposeScope();
        var x = Draw((0.25, 0.25), new long[] { 3 }, 5);
        Assert.That(x.allclose(full(new long[] { 5, 3 }, 0.25, ScalarType.Float64)), Is.True);
    }

    [Test]
    public void LowerAboveUpper_Throws() =>
        Assert.That(() => Bounds.Scalar(1, 0), Throws.ArgumentException.With.Message.Contains("lower ≤ upper"));

    [Test]
    public void NonFiniteBounds_Throw()
    {
        Assert.That(() => Bounds.Scalar(double.NaN, 1), Throws.ArgumentException.With.Message.Contains("finite"));
        Assert.That(() => Bounds.FromArray(new[] { 0, double.PositiveInfinity }), Throws.ArgumentException.With.Message.Contains("finite"));
    }

    [Test]
    public void LastAxisNotTwo_Throws() =>
        Assert.That(() => Bounds.FromArray(new double[] { 0, 1, 2 }), Throws.ArgumentException.With.Message.Contains("last axis of length 2"));

    [Test]
    public void NonBroadcastableShape_ThrowsNamingTheTarget()
    {
        using var scope = NewDisposeScope();
        var b = zeros(new long[] { 3, 2 }, ScalarType.Float64);
        Assert.That(() => Bounds.FromTensor(b).Resolve(new long[] { 2, 4 }, ScalarType.Float32),
            Throws.ArgumentException.With.Message.Contains("[2, 4, 2]"));
    }
}
