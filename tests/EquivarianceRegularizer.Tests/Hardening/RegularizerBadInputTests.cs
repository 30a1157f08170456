using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Sampling;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>
/// Every bad input to the regularizer's public entry points gives a clear .NET exception naming the argument
/// (one test per row of docs/bad-inputs.md, section "Regularizer").
/// </summary>
public class RegularizerBadInputTests
{
    private static readonly long[] Image = { 1, 4, 4 };

    private static EquivarianceTerm[] Rot90 => new EquivarianceTerm[] { EquivarianceTerm.Equivariant(new RotationByQuarterTurns()) };

    [Test]
    public void ShapeMismatch_BetweenFOutOfModelAndModelOfFIn_ThrowsArgumentException_NamingBothShapes()
    {
        // f_out = identity, f_in = a crop: model(f_in(v)) is 4×3 while f_out(model(v)) stays 4×4.
        using var model = new IdentityModel();
        var crop = new LambdaTransform("crop", x => x.narrow(-1, 0, 3));
        using var reg = new EquivarianceError(model, Image, new[] { EquivarianceTerm.Invariant(crop) }, n: 2, options: new EquivarianceErrorOptions { Seed = 1 });
        var ex = Assert.Throws<ArgumentException>(() => reg.call());
        Assert.That(ex!.Message, Does.Contain("f_out(model(v)) has shape [2, 1, 4, 4]").And.Contain("[2, 1, 4, 3]").And.Contain("crop"));
    }

    [Test]
    public void Bounds_OfTheWrongShape_ThrowArgumentException_NamingBounds()
    {
        using var model = new IdentityModel();
        var wrong = new double[3, 2] { { 0, 1 }, { 0, 1 }, { 0, 1 } };
        var ex = Assert.Throws<ArgumentException>(() => new EquivarianceError(model, Image, Rot90, bounds: wrong));
        Assert.That(ex!.ParamName, Is.EqualTo("bounds"));
        Assert.That(ex.Message, Does.Contain("1, 4, 4"));
    }

    [Test]
    public void Bounds_WithLowerAboveUpper_ThrowArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => Bounds.Scalar(1, 0));
        Assert.That(ex!.Message, Does.Contain("lower ≤ upper"));
        using var lower = ones(1, 4, 4);
        using var upper = zeros(1, 4, 4);
        Assert.Throws<ArgumentException>(() => Bounds.FromLowerUpper(lower, upper));
    }

    [Test]
    public void Bounds_WithNaN_ThrowArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => Bounds.Scalar(double.NaN, 1));
        Assert.That(ex!.Message, Does.Contain("finite"));
    }

    [TestCase(-0.1, 1.0, "epsilon")]
    [TestCase(0.0, -1.0, "lambda")]
    [TestCase(double.NaN, 1.0, "epsilon")]
    [TestCase(0.0, double.PositiveInfinity, "lambda")]
    public void NegativeOrNonFinite_EpsilonOrLambda_ThrowsArgumentOutOfRange(double epsilon, double lambda, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => EquivarianceTerm.Equivariant(new RotationByQuarterTurns(), epsilon, lambda));
        Assert.That(ex!.ParamName, Is.EqualTo(parameter));
        Assert.That(ex.Message, Does.Contain("rot90"));
    }

    [TestCase(0.5)]
    [TestCase(0.0)]
    [TestCase(-2.0)]
    [TestCase(double.NaN)]
    public void P_BelowOne_ThrowsArgumentOutOfRange(double p)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Distance.Lp(p));
        Assert.That(ex!.ParamName, Is.EqualTo("p"));
    }

    [Test]
    public void UnknownDistanceName_ThrowsArgumentException_ListingTheChoices()
    {
        var ex = Assert.Throws<ArgumentException>(() => Distance.Parse("manhattan"));
        Assert.That(ex!.Message, Does.Contain("cross_entropy"));
    }

    [TestCase(0)]
    [TestCase(-5)]
    public void N_BelowOne_ThrowsArgumentOutOfRange(int n)
    {
        using var model = new IdentityModel();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EquivarianceError(model, Image, Rot90, n: n));
        Assert.That(ex!.ParamName, Is.EqualTo("n"));
    }

    [Test]
    public void NumFuncs_BelowOne_ThrowsArgumentOutOfRange()
    {
        using var model = new IdentityModel();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EquivarianceError(model, Image, Rot90, numFuncs: 0));
        Assert.That(ex!.ParamName, Is.EqualTo("numFuncs"));
    }

    [Test]
    public void EmptyTransformList_ThrowsArgumentException()
    {
        using var model = new IdentityModel();
        var ex = Assert.Throws<ArgumentException>(() => new EquivarianceError(model, Image, Array.Empty<EquivarianceTerm>()));
        Assert.That(ex!.ParamName, Is.EqualTo("transforms"));
    }

    [Test]
    public void NullTransformEntry_ThrowsArgumentException()
    {
        using var model = new IdentityModel();
        var ex = Assert.Throws<ArgumentException>(() => new EquivarianceError(model, Image, new EquivarianceTerm[] { null! }));
        Assert.That(ex!.ParamName, Is.EqualTo("transforms"));
    }

    [Test]
    public void NullModelShapeOrTransforms_ThrowArgumentNull()
    {
        using var model = new IdentityModel();
        Assert.That(Assert.Throws<ArgumentNullException>(() => new EquivarianceError(null!, Image, Rot90))!.ParamName, Is.EqualTo("model"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => new EquivarianceError(model, null!, Rot90))!.ParamName, Is.EqualTo("shape"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => new EquivarianceError(model, Image, (IEnumerable<EquivarianceTerm>)null!))!.ParamName, Is.EqualTo("transforms"));
    }

    [Test]
    public void ShapeWithZeroSize_ThrowsArgumentException()
    {
        using var model = new IdentityModel();
        var ex = Assert.Throws<ArgumentException>(() => new EquivarianceError(model, new long[] { 1, 0, 4 }, Rot90));
        Assert.That(ex!.ParamName, Is.EqualTo("shape"));
    }

    [Test]
    public void Points_OfTheWrongShape_ThrowArgumentException_NamingTheExpectedShape()
    {
        using var model = new IdentityModel();
        using var reg = new EquivarianceError(model, Image, Rot90, options: new EquivarianceErrorOptions { Seed = 1 });
        using var points = rand(2, 1, 5, 5);
        var ex = Assert.Throws<ArgumentException>(() => reg.call(points));
        Assert.That(ex!.ParamName, Is.EqualTo("points"));
        Assert.That(ex.Message, Does.Contain("(batch, 1, 4, 4)"));
    }

    [Test]
    public void Points_WithNaN_ThrowArgumentException_NamingPoints()
    {
        using var model = new IdentityModel();
        using var reg = new EquivarianceError(model, Image, Rot90, options: new EquivarianceErrorOptions { Seed = 1 });
        using var points = rand(2, 1, 4, 4);
        using (var row = points[1]) row.fill_(double.NaN);
        var ex = Assert.Throws<ArgumentException>(() => reg.Estimate(points));
        Assert.That(ex!.ParamName, Is.EqualTo("points"));
        Assert.That(ex.Message, Does.Contain("NaN"));
    }

    [TestCase(double.NaN, "NaN")]
    [TestCase(double.PositiveInfinity, "infinite")]
    public void ModelOutput_NaNOrInf_ThrowsInvalidOperation_ByDefault(double factor, string word)
    {
        using var model = new ScaleModel(factor);
        using var reg = new EquivarianceError(model, Image, Rot90, n: 3, options: new EquivarianceErrorOptions { Seed = 1 });
        var ex = Assert.Throws<InvalidOperationException>(() => reg.Estimate());
        Assert.That(ex!.Message, Does.Contain("model(v)").And.Contain(word));
    }

    [Test]
    public void ModelThatThrows_PropagatesItsException_AndLeaksNoTensors()
    {
        using var model = new ThrowingModel();
        using var reg = new EquivarianceError(model, Image, Rot90, n: 3, options: new EquivarianceErrorOptions { Seed = 1 });
        long before = SettledHandles();
        for (int i = 0; i < 5; i++)
        {
            var ex = Assert.Throws<InvalidOperationException>(() => reg.call());
            Assert.That(ex!.Message, Does.Contain("failed on purpose"));
        }
        Assert.That(SettledHandles(), Is.EqualTo(before), "no native handle leaks through the exception path");
    }

    [Test]
    public void Points_OfIntegerOrDoubleDtype_AreConvertedToTheModelsDtype()
    {
        using var model = Cnns.NamedCnn(1);
        var spec = new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) };
        using var regA = new EquivarianceError(model, Image, spec, options: new EquivarianceErrorOptions { Seed = 1 });
        using var regB = new EquivarianceError(model, Image, spec, options: new EquivarianceErrorOptions { Seed = 1 });
        using var ints = randint(0, 2, new long[] { 3, 1, 4, 4 });
        using var doubles = ints.to(ScalarType.Float64);
        using var a = regA.call(ints);
        using var b = regB.call(doubles);
        Assert.That(a.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(a.ToDouble(), Is.EqualTo(b.ToDouble()).Within(1e-6));
    }

    private static long SettledHandles()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return TorchTestSupport.LiveTensors;
    }
}
