using EquivarianceRegularizer.Lie;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>Bad inputs to the Lie-derivative entry points (docs/bad-inputs.md, section "Lie derivatives").</summary>
public class LieBadInputTests
{
    private static Tensor Images(long n = 3)
    {
        using var g = new Generator(4);
        return rand(new long[] { n, 1, 8, 8 }, generator: g);
    }

    [Test]
    public void Measure_WithNaNInputs_ThrowsArgumentException_NamingX()
    {
        using var model = Cnns.NamedCnn(1);
        using var x = Images();
        using (var row = x[1]) row.fill_(double.NaN);
        var ex = Assert.Throws<ArgumentException>(() => LocalEquivarianceError.Measure(model.call, x, TransformCatalogue.CreateContinuous("translate-x")));
        Assert.That(ex!.ParamName, Is.EqualTo("x"));
        Assert.That(ex.Message, Does.Contain("NaN"));
    }

    [Test]
    public void Measure_OfModelProducingNaN_ThrowsInvalidOperation_InsteadOfReturningNaN()
    {
        using var model = FailureModes.NaNProducingCnn(2);
        using var x = Images();
        using var centred = x - 0.5;
        var ex = Assert.Throws<InvalidOperationException>(() => LocalEquivarianceError.Measure(model.call, centred, TransformCatalogue.CreateContinuous("translate-x")));
        Assert.That(ex!.Message, Does.Contain("NaN"));
    }

    [Test]
    public void Measure_OfScalarOrEmptyInput_ThrowsArgumentException()
    {
        using var model = Cnns.NamedCnn(1);
        using var scalar = tensor(new[] { 1.0f }).sum();
        using var empty = zeros(0, 1, 8, 8);
        Assert.That(Assert.Throws<ArgumentException>(() => LocalEquivarianceError.Measure(model.call, scalar, TransformCatalogue.CreateContinuous("rotate")))!.ParamName, Is.EqualTo("x"));
        Assert.That(Assert.Throws<ArgumentException>(() => LocalEquivarianceError.Measure(model.call, empty, TransformCatalogue.CreateContinuous("rotate")))!.ParamName, Is.EqualTo("x"));
    }

    [Test]
    public void Measure_WithBatchSizeBelowOne_ThrowsArgumentOutOfRange()
    {
        using var model = Cnns.NamedCnn(1);
        using var x = Images();
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalEquivarianceError.Measure(model.call, x, TransformCatalogue.CreateContinuous("rotate"), new LieOptions { BatchSize = 0 }));
    }

    [TestCase(0.0)]
    [TestCase(-1e-3)]
    [TestCase(double.NaN)]
    public void FiniteDifference_WithNonPositiveStep_ThrowsArgumentOutOfRange(double step)
    {
        using var model = Cnns.NamedCnn(1);
        using var x = Images();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => LieDerivative.ByFiniteDifference(model.call, x, TransformCatalogue.CreateContinuous("rotate"), step));
        Assert.That(ex!.ParamName, Is.EqualTo("step"));
    }

    [Test]
    public void UnknownContinuousTransformName_ThrowsArgumentException_ListingTheNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => TransformCatalogue.CreateContinuous("twirl"));
        Assert.That(ex!.Message, Does.Contain("translate-x").And.Contain("twirl"));
    }

    [Test]
    public void ImageTransform_OnVectorInputs_ThrowsDotNetException_NotACrash()
    {
        using var model = nn.Linear(5, 2);
        using var x = rand(3, 5);
        var ex = Assert.Catch(() => LocalEquivarianceError.Measure(model.call, x, TransformCatalogue.CreateContinuous("rotate")));
        Assert.That(ex, Is.InstanceOf<ArgumentException>().Or.InstanceOf<InvalidOperationException>().Or.InstanceOf<System.Runtime.InteropServices.ExternalException>());
    }
}
