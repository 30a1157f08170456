using EquivarianceRegularizer.Groups;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Transforms.Continuous;

public class ContinuousTransformTests
{
    private static readonly ImagePadding[] Paddings = { ImagePadding.Zeros, ImagePadding.Border, ImagePadding.Reflection, ImagePadding.Circular };

    public static IEnumerable<TestCaseData> AllTransforms()
    {
        foreach (var name in TransformCatalogue.ContinuousNames)
            yield return new TestCaseData(name).SetName("ApplyAtZero_IsIdentity_" + name);
    }

    private static IContinuousTransform Make(string name, ImageFlowOptions? options = null) => TransformCatalogue.CreateContinuous(name, options);

    private static Tensor Image(long n = 2, long c = 3, long h = 9, long w = 11, ulong seed = 1)
    {
        using var g = new Generator(seed);
        return rand(new[] { n, c, h, w }, dtype: ScalarType.Float64, generator: g);
    }

    private static double MaxAbs(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.ToDouble();
    }

    [TestCaseSource(nameof(AllTransforms))]
    public void ApplyAt_AtZero_IsTheIdentity(string name)
    {
        using var scope = NewDisposeScope();
        var x = Image();
        foreach (var align in new[] { false, true })
        {
            var t = Make(name, new ImageFlowOptions { AlignCorners = align });
            Assert.That(MaxAbs(t.ApplyAt(x, 0), x), Is.LessThan(1e-12), $"{name}, align_corners={align}");
        }
    }

    [Test]
    public void Stretch_GroupMatrixAtZero_IsExactlyTheIdentity_AndIsAGroup()
    {
        var s = new Stretch();
        var m0 = s.GroupMatrix(new[] { 0.0 });
        Assert.That(m0, Is.EqualTo(new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }));
        var m = s.GroupMatrix(new[] { 0.3 });
        Assert.That(m[0, 0], Is.EqualTo(Math.Exp(0.3)).Within(1e-14));
        Assert.That(m[1, 1], Is.EqualTo(Math.Exp(-0.3)).Within(1e-14));
        Assert.That(m[0, 0] * m[1, 1], Is.EqualTo(1).Within(1e-14), "area preserving");
    }

    [Test]
    public void AffineGroupMatrices_ComposeLikeAOneParameterGroup()
    {
        foreach (var t in new AffineFlowTransform[] { new Rotation(), new Scaling(), new Shear(), new Stretch(), new TranslationX() })
        {
            var a = t.GroupMatrix(new[] { 0.2 });
            var b = t.GroupMatrix(new[] { -0.7 });
            var ab = t.GroupMatrix(new[] { -0.5 });
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    double s = 0;
                    for (int k = 0; k < 3; k++) s += a[i, k] * b[k, j];
                    Assert.That(s, Is.EqualTo(ab[i, j]).Within(1e-12), t.Name);
                }
        }
    }

    [Test]
    public void Tangent_EqualsSymmetricDerivativeOfBilinearResampling_ForEveryGeometricTransformAndPadding()
    {
        using var scope = NewDisposeScope();
        var x = Image();
        // Bilinear resampling is piecewise bilinear in t: the symmetric quotient differs from the central-difference
        // tangent by an O(h·|velocity|²) cross term inside a cell, so h is small.
        const double h = 1e-8;
        foreach (var name in new[] { "translate-x", "translate-y", "translate", "rotate", "scale", "shear", "stretch" })
            foreach (var padding in Paddings)
                foreach (var align in new[] { false, true })
                {
                    var t = Make(name, new ImageFlowOptions { Padding = padding, AlignCorners = align });
                    var fd = (t.ApplyAt(x, h) - t.ApplyAt(x, -h)) / (2 * h);
                    var tangent = t.Tangent(x);
                    Assert.That(MaxAbs(fd, tangent), Is.LessThan(1e-6), $"{name} {padding} align_corners={align}");
                }
    }

    [Test]
    public void OneSidedDerivative_OfBilinearTranslation_MeasuresTheInterpolationKink()
    {
        // The trap: at t = 0 bilinear resampling has a kink, so (ρ(g_h)x − x)/h is a one-sided difference
        // x[j] − x[j−1], not the derivative. Central differences (our tangent) agree with the symmetric limit only.
        using var scope = NewDisposeScope();
        var x = Image(h: 16, w: 16);
        var t = new TranslationX(options: new ImageFlowOptions { Padding = ImagePadding.Circular });
        const double h = 1e-5;
        var forward = (t.ApplyAt(x, h) - x) / h;
        var backward = (x - t.ApplyAt(x, -h)) / h;
        var tangent = t.Tangent(x);
        Assert.That(MaxAbs(forward, tangent), Is.GreaterThan(0.1));
        Assert.That(MaxAbs(backward, tangent), Is.GreaterThan(0.1));
        Assert.That(MaxAbs((forward + backward) * 0.5, tangent), Is.LessThan(1e-6));
    }

    [Test]
    public void ColourTangents_EqualSymmetricDerivatives_AndAreAnalytic()
    {
        using var scope = NewDisposeScope();
        var x = Image();
        const double h = 1e-6;
        foreach (var name in new[] { "brightness", "saturation", "hue" })
        {
            var t = Make(name);
            var fd = (t.ApplyAt(x, h) - t.ApplyAt(x, -h)) / (2 * h);
            Assert.That(MaxAbs(fd, t.Tangent(x)), Is.LessThan(1e-8), name);
        }
        Assert.That(MaxAbs(new Brightness().Tangent(x), x), Is.LessThan(1e-15));
        var gray = x.narrow(1, 0, 1) * 0.299 + x.narrow(1, 1, 1) * 0.587 + x.narrow(1, 2, 1) * 0.114;
        Assert.That(MaxAbs(new Saturation().Tangent(x), x - gray), Is.LessThan(1e-14));
    }

    [Test]
    public void ColourTransforms_AreOneParameterGroups_AndKeepTheirInvariants()
    {
        using var scope = NewDisposeScope();
        var x = Image();
        foreach (var name in new[] { "brightness", "saturation", "hue" })
        {
            var t = Make(name);
            Assert.That(MaxAbs(t.ApplyAt(t.ApplyAt(x, 0.3), -0.1), t.ApplyAt(x, 0.2)), Is.LessThan(1e-12), name);
        }
        var hue = new Hue();
        Assert.That(MaxAbs(hue.ApplyAt(x, 1.0).mean(new long[] { 1 }), x.mean(new long[] { 1 })), Is.LessThan(1e-12), "hue keeps mean intensity");
        Assert.That(MaxAbs(hue.ApplyAt(x, 2 * Math.PI), x), Is.LessThan(1e-12), "hue has period 2π");
        var sat = new Saturation();
        Tensor Gray(Tensor y) => y.narrow(1, 0, 1) * 0.299 + y.narrow(1, 1, 1) * 0.587 + y.narrow(1, 2, 1) * 0.114;
        Assert.That(MaxAbs(Gray(sat.ApplyAt(x, 0.7)), Gray(x)), Is.LessThan(1e-12), "saturation keeps luma");
    }

    [Test]
    public void IntegerTranslation_WithCircularPadding_IsACyclicShift()
    {
        using var scope = NewDisposeScope();
        var x = Image(h: 8, w: 10);
        var tx = new TranslationX(options: new ImageFlowOptions { Padding = ImagePadding.Circular });
        var ty = new TranslationY(options: new ImageFlowOptions { Padding = ImagePadding.Circular });
        Assert.That(MaxAbs(tx.ApplyAt(x, tx.PixelsToFrame(3, 10)), x.roll(3, 3)), Is.LessThan(1e-12));
        Assert.That(MaxAbs(ty.ApplyAt(x, ty.PixelsToFrame(-2, 10)), x.roll(-2, 2)), Is.LessThan(1e-12));
        var t2 = new Translation2D(options: new ImageFlowOptions { Padding = ImagePadding.Circular });
        using var e = new GroupElements(t2.Group, tensor(new[] { 0.2, -0.6, 0.4, 0.2 }, new long[] { 2, 2 }));
        var y = t2.Apply(x, e);
        Assert.That(MaxAbs(y[0], x[0].roll(new long[] { 1, -3 }, new long[] { 2, 1 })), Is.LessThan(1e-12));
        Assert.That(MaxAbs(y[1], x[1].roll(new long[] { 2, 1 }, new long[] { 2, 1 })), Is.LessThan(1e-12));
    }

    [Test]
    public void QuarterTurn_OfSquareImage_IsRot90CounterClockwiseAsDisplayed()
    {
        using var scope = NewDisposeScope();
        var x = Image(h: 7, w: 7);
        var r = new Rotation();
        Assert.That(MaxAbs(r.ApplyAt(x, Math.PI / 2), x.rot90(1, (2, 3))), Is.LessThan(1e-9));
    }

    [Test]
    public void Apply_UsesEachSamplesOwnParameter()
    {
        using var scope = NewDisposeScope();
        var x = Image(n: 3);
        using var gen = new Generator(7);
        foreach (var name in TransformCatalogue.ContinuousNames.Where(n => n != "translate"))
        {
            var t = Make(name);
            using var e = t.Group.Sample(3, gen);
            var y = t.Apply(x, e);
            var ts = e.Values.ToArrayDouble();
            for (int i = 0; i < 3; i++)
            {
                var xi = x.narrow(0, i, 1);
                Assert.That(MaxAbs(y.narrow(0, i, 1), t.ApplyAt(xi, ts[i])), Is.LessThan(1e-12), name);
            }
        }
    }

    [Test]
    public void Sample_DrawsWithinTheRange_Reproducibly()
    {
        var t = new Rotation(new ParameterRange(0.1, 0.3));
        using var g1 = new Generator(3);
        using var g2 = new Generator(3);
        using var a = t.Group.Sample(500, g1);
        using var b = t.Group.Sample(500, g2);
        var va = a.Values.ToArrayDouble();
        Assert.That(a.Values.shape, Is.EqualTo(new long[] { 500, 1 }));
        Assert.That(va, Is.All.InRange(0.1, 0.3));
        Assert.That(va.Max() - va.Min(), Is.GreaterThan(0.15));
        Assert.That(b.Values.ToArrayDouble(), Is.EqualTo(va));
        Assert.That(a.Describe(0), Does.StartWith("rotate "));
    }

    [Test]
    public void FourierTangent_OfBandLimitedPeriodicImage_IsTheExactDerivative()
    {
        using var scope = NewDisposeScope();
        const long h = 12, w = 16;
        var j = arange(0.0, w, 1.0, ScalarType.Float64).view(1, 1, 1, w);
        var i = arange(0.0, h, 1.0, ScalarType.Float64).view(1, 1, h, 1);
        double ku = 2 * Math.PI * 3 / w, kv = 2 * Math.PI * 2 / h;
        var x = (j * ku + i * kv + 0.4).sin().expand(1, 1, h, w).contiguous();
        var dxdu = (j * ku + i * kv + 0.4).cos() * ku;
        var t = new TranslationX(options: new ImageFlowOptions { Derivative = SpatialDerivative.Fourier });
        // Velocity of translate-x in pixels per unit t is W/2, so the tangent is −(W/2)·∂x/∂u.
        Assert.That(MaxAbs(t.Tangent(x), dxdu * (-w / 2.0)), Is.LessThan(1e-10));
        var central = new TranslationX().Tangent(x);
        Assert.That(MaxAbs(central, dxdu * (-w / 2.0)), Is.GreaterThan(1e-3), "central differences are only second-order accurate");
    }

    [Test]
    public void VectorFieldFlow_OfTheRotationField_MatchesRotation()
    {
        using var scope = NewDisposeScope();
        var x = Image(h: 10, w: 10);
        var rot = new Rotation();
        var field = new VectorFieldFlowTransform("swirl-as-rotation", (u, v) => (v, -u), ParameterRange.Symmetric(0.5));
        Assert.That(MaxAbs(field.Tangent(x), rot.Tangent(x)), Is.LessThan(1e-12));
        Assert.That(MaxAbs(field.ApplyAt(x, 0.4), rot.ApplyAt(x, 0.4)), Is.LessThan(1e-7));
        Assert.That(MaxAbs(field.ApplyAt(x, 0), x), Is.LessThan(1e-12));
    }

    [Test]
    public void BadInput_GivesArgumentExceptions_NamingTheProblem()
    {
        using var scope = NewDisposeScope();
        var flat = zeros(new long[] { 2, 5 }, ScalarType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => new Rotation().Tangent(flat));
        Assert.That(ex!.Message, Does.Contain("N×C×H×W"));
        var four = zeros(new long[] { 1, 4, 5, 5 }, ScalarType.Float64);
        var ex2 = Assert.Throws<ArgumentException>(() => new Hue().Tangent(four));
        Assert.That(ex2!.Message, Does.Contain("3 channels"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ParameterRange(1, 0));
        Assert.Throws<ArgumentException>(() => TransformCatalogue.CreateContinuous("warp-drive"));
        using var e = new PlaneRotationGroup().Elements(zeros(new long[] { 3, 1 }, ScalarType.Float64));
        Assert.Throws<ArgumentException>(() => new Rotation().Apply(Image(n: 2), e));
    }
}
