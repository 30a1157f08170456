using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Transforms.Finite;

public class ResampledCyclicShiftTests
{
    private static Tensor Conv(Tensor x, Tensor w) => nn.functional.conv2d(nn.functional.pad(x, new long[] { 1, 1, 1, 1 }, PaddingModes.Circular), w, strides: new long[] { 2, 2 });

    [Test]
    public void EvenShifts_ThroughAStride2CircularConv_MapExactly_OddOnesDoNot()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = rand(new long[] { 2, 1, 12, 12 }, generator: g);
        var w = randn(new long[] { 3, 1, 3, 3 }, generator: g);
        var shift = new CyclicShift(12);
        var y = Conv(x, w);
        var mapped = shift.AtResolutionOf(y) as ResampledCyclicShift;
        Assert.That(mapped, Is.Not.Null);
        foreach (int s in new[] { 2, 4, 6 })
        {
            var lhs = Conv(shift.Apply(x, shift.Group.Element(s, 2)), w);
            var rhs = mapped!.Apply(y, shift.Group.Element(s, 2));
            Assert.That(mapped.IsExact(s), Is.True);
            Assert.That((lhs - rhs).abs().max().ToDouble(), Is.LessThan(1e-5), $"shift {s}");
        }
        var odd = (Conv(shift.Apply(x, shift.Group.Element(1, 2)), w) - mapped!.Apply(y, shift.Group.Element(1, 2))).abs().max().ToDouble();
        Assert.That(mapped.IsExact(1), Is.False);
        Assert.That(odd, Is.GreaterThan(1e-3), "an odd shift cannot pass through stride 2: the layer aliases");
    }

    [Test]
    public void GlobalPoolingToLengthOne_IsActedOnTrivially()
    {
        using var scope = NewDisposeScope();
        var pooled = rand(2, 3, 1, 1);
        var mapped = new CyclicShift(12).AtResolutionOf(pooled)!;
        Assert.That((mapped.Apply(pooled, new CyclicShift(12).Group.Element(5, 2)) - pooled).abs().max().ToDouble(), Is.EqualTo(0));
    }

    [Test]
    public void SameLength_IsTheTransformItself()
    {
        using var x = rand(1, 1, 12, 12);
        var shift = new CyclicShift(12);
        Assert.That(shift.AtResolutionOf(x), Is.SameAs(shift));
    }
}
