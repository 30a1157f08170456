using System.Text.Json;
using EquivarianceRegularizer.Lie;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

public class LieDerivativeTests
{
    private static readonly ImageFlowOptions Circular = new() { Padding = ImagePadding.Circular };

    private static double MaxAbs(Tensor t)
    {
        using var m = t.abs().max();
        return m.ToDouble();
    }

    private static double RelativeError(Tensor a, Tensor b)
    {
        using var d = (a - b).norm();
        using var s = b.norm();
        return d.ToDouble() / Math.Max(s.ToDouble(), 1e-300);
    }

    [TestCase(SpatialDerivative.CentralDifference)]
    [TestCase(SpatialDerivative.Fourier)]
    public void CircularConvNetWithGlobalPooling_IsTranslationInvariant_LieDerivativeIsZero(SpatialDerivative derivative)
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.CircularLinearConvNet(2);
        var x = LieModels.Images(4, 2, 10, 12);
        var options = new ImageFlowOptions { Padding = ImagePadding.Circular, Derivative = derivative };
        foreach (IContinuousTransform t in new ImageFlowTransform[] { new TranslationX(options: options), new TranslationY(options: options), new Translation2D(options: options) })
        {
            var lie = LieDerivative.Compute(model.call, x, t);
            Assert.That(MaxAbs(lie), Is.LessThan(1e-6), t.Name);
            var lee = LocalEquivarianceError.Measure(model.call, x, t);
            Assert.That(lee.Value, Is.LessThan(1e-12), t.Name);
        }
        // Not vacuous: the same model is not scale invariant.
        Assert.That(LocalEquivarianceError.Measure(model.call, x, new Scaling(options: Circular)).Value, Is.GreaterThan(1e-6));
    }

    [TestCase(SpatialDerivative.CentralDifference)]
    [TestCase(SpatialDerivative.Fourier)]
    public void NonlinearFunctionOfFftPowerSpectrum_HasZeroTranslationLieDerivative(SpatialDerivative derivative)
    {
        using var scope = NewDisposeScope();
        var model = LieModels.PowerSpectrumNet(8, 1);
        var x = LieModels.Images(3, 1, 8, 8);
        var options = new ImageFlowOptions { Padding = ImagePadding.Circular, Derivative = derivative };
        var lie = LieDerivative.Compute(model, x, new TranslationX(options: options));
        Assert.That(MaxAbs(lie), Is.LessThan(1e-6));
        Assert.That(MaxAbs(LieDerivative.Compute(model, x, new TranslationY(options: options))), Is.LessThan(1e-6));
        // …but a scaling changes the spectrum.
        Assert.That(MaxAbs(LieDerivative.Compute(model, x, new Scaling(options: options))), Is.GreaterThan(1e-4));
    }

    [Test]
    public void LinearModel_LieDerivative_IsWTimesTheTangent()
    {
        using var scope = NewDisposeScope();
        var x = LieModels.Images(3, 3, 6, 7);
        var w = Weights.Random(new long[] { 4, 3 * 6 * 7 }, 41, 0.2);
        var b = Weights.Random(new long[] { 4 }, 42, 1.0);
        Tensor Model(Tensor z) => nn.functional.linear(z.flatten(1), w, b);
        foreach (var name in TransformCatalogue.ContinuousNames)
        {
            var t = TransformCatalogue.CreateContinuous(name);
            var expected = nn.functional.linear(t.Tangent(x).flatten(1), w);
            var lie = LieDerivative.Compute(Model, x, t);
            Assert.That(MaxAbs(lie - expected), Is.LessThan(1e-12), name);
        }
    }

    [Test]
    public void DifferentiableLieDerivative_BackpropagatesToTheParameters()
    {
        using var scope = NewDisposeScope();
        var x = LieModels.Images(3, 1, 6, 6);
        var w = Weights.Random(new long[] { 4, 36 }, 43, 0.2).requires_grad_();
        Tensor Model(Tensor z) => nn.functional.linear(z.flatten(1), w);
        var t = new Rotation();
        var lie = LieDerivative.Compute(Model, x, t, new LieOptions { Differentiable = true });
        lie.square().mean().backward();
        // LEE = mean((W·T)²) over 3×4 entries, so dLEE/dW = (2/12)·(W·T)ᵀ-weighted tangents: (2/12)·Lᵀ·T.
        var tangent = t.Tangent(x).flatten(1);
        var expected = (nn.functional.linear(tangent, w.detach()).transpose(0, 1).matmul(tangent)) * (2.0 / 12);
        Assert.That(MaxAbs(w.grad! - expected), Is.LessThan(1e-12));
        // Measuring (the default) keeps no graph.
        Assert.That(LieDerivative.Compute(Model, x, t).requires_grad, Is.False);
    }

    [Test]
    public void ForwardMode_AgreesWithSymmetricFiniteDifferences_AndDoubleBackward()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(3, smooth: true);
        var x = LieModels.Images(3, 3, 12, 12);
        foreach (var name in new[] { "translate-x", "rotate", "scale", "stretch", "hue", "saturation", "brightness" })
        {
            var t = TransformCatalogue.CreateContinuous(name);
            var forward = LieDerivative.Compute(model.call, x, t);
            var fd = LieDerivative.Compute(model.call, x, t, new LieOptions { Method = LieDerivativeMethod.FiniteDifference, FiniteDifferenceStep = 1e-6 });
            var reverse = LieDerivative.Compute(model.call, x, t, new LieOptions { Method = LieDerivativeMethod.DoubleBackward });
            Assert.That(RelativeError(fd, forward), Is.LessThan(1e-4), name + " finite difference");
            Assert.That(RelativeError(reverse, forward), Is.LessThan(1e-10), name + " double backward");
        }
    }

    [Test]
    public void EquivariantOutput_SubtractsTheOutputTangent()
    {
        using var scope = NewDisposeScope();
        var w = Weights.Random(new long[] { 3, 2, 3, 3 }, 51, 0.4);
        var b = Weights.Random(new long[] { 3 }, 52, 0.1);
        Tensor Conv(Tensor z) => TorchTestSupport.CircularConv2d(z, w, b);
        Tensor ConvTanh(Tensor z) => Conv(z).tanh();
        var x = LieModels.Images(2, 2, 9, 9);
        var t = new TranslationX(options: Circular);
        // A circular convolution commutes with the (circular central-difference) generator: exactly equivariant.
        Assert.That(MaxAbs(LieDerivative.Compute(Conv, x, t)), Is.LessThan(1e-12));
        Assert.That(LocalEquivarianceError.Measure(Conv, x, t).Output, Is.EqualTo("Equivariant"));
        Assert.That(MaxAbs(LieDerivative.Compute(Conv, x, Symmetry.Equivariant(t))), Is.LessThan(1e-12), "the inferred ρ₂ is the explicit one");
        // Read as invariant, the same map is not.
        Assert.That(MaxAbs(LieDerivative.Compute(Conv, x, Symmetry.Invariant(t))), Is.GreaterThan(1e-3));
        Assert.That(LocalEquivarianceError.Measure(Conv, x, Symmetry.Invariant(t)).Output, Is.EqualTo("Invariant"));
        // With a nonlinearity and the equivariant output, forward mode still agrees with finite differences.
        var forward = LieDerivative.Compute(ConvTanh, x, t);
        var fd = LieDerivative.Compute(ConvTanh, x, t, new LieOptions { Method = LieDerivativeMethod.FiniteDifference, FiniteDifferenceStep = 1e-6 });
        Assert.That(RelativeError(fd, forward), Is.LessThan(1e-4));
    }

    [Test]
    public void GridSample_HasNoForwardModeDerivative_SoTheTangentIsComputedDirectly()
    {
        using var scope = NewDisposeScope();
        var x = LieModels.Images(2, 1, 8, 8);
        var rot = new Rotation();
        // The reference code's route, differentiating the resampling in t, fails in libtorch's forward mode:
        // there is no forward derivative for grid_sampler_2d (and a missing tangent is never read as zero).
        Assert.Catch<Exception>(() => EquivarianceRegularizer.Differentiation.Jvp.Compute(z => rot.ApplyAt(z, 0.0), x, ones_like(x)));
        // Ours never differentiates grid_sample.
        Assert.That(LieDerivative.Compute(z => z.square().sum(new long[] { 1, 2, 3 }).unsqueeze(1), x, rot).all_finite(), Is.True);
    }

    [Test]
    public void OneSidedDerivativeAtTheKink_OverstatesTheLee_TheSymmetricOneMatchesForwardMode()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(1, smooth: true);
        var x = LieModels.Images(8, 1, 16, 16);
        var t = new TranslationX();
        var forward = LocalEquivarianceError.Measure(model.call, x, t).Value;
        const double h = 1e-6;
        var y = model.call(x);
        var oneSided = ((model.call(t.ApplyAt(x, h)) - y) / h).square().mean().ToDouble();
        var symmetric = LocalEquivarianceError.Measure(model.call, x, t, new LieOptions { Method = LieDerivativeMethod.FiniteDifference, FiniteDifferenceStep = h }).Value;
        Assert.That(symmetric, Is.EqualTo(forward).Within(1e-4 * forward));
        Assert.That(Math.Abs(oneSided - forward), Is.GreaterThan(0.05 * forward), "the one-sided quotient sees x[j] − x[j−1], not the derivative");
    }

    [Test]
    public void Aggregations_MeanSquare_AndReferenceCodesMeanAbsoluteSoftmax()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(1, smooth: true);
        var x = LieModels.Images(5, 1, 12, 12);
        var t = new TranslationX();
        var y = model.call(x);
        var lie = LieDerivative.Compute(model.call, x, t);
        var square = LocalEquivarianceError.Measure(model.call, x, t);
        var manual = lie.square().mean(new long[] { 1 }).ToArrayDouble();
        Assert.That(square.PerSample, Is.EqualTo(manual).Within(1e-15));
        Assert.That(square.Value, Is.EqualTo(manual.Average()).Within(1e-15));
        double sd = Math.Sqrt(manual.Sum(v => (v - manual.Average()) * (v - manual.Average())) / (manual.Length - 1));
        Assert.That(square.StandardError, Is.EqualTo(sd / Math.Sqrt(manual.Length)).Within(1e-15));

        var soft = LocalEquivarianceError.Measure(model.call, x, t, new LieOptions { Aggregation = LieAggregation.MeanAbsoluteSoftmax });
        // The Lie derivative of the probabilities, by symmetric finite differences of softmax(model(ρ(g_t)x)).
        const double h = 1e-6;
        var probsFd = (model.call(t.ApplyAt(x, h)).softmax(1) - model.call(t.ApplyAt(x, -h)).softmax(1)) / (2 * h);
        var expected = probsFd.abs().mean(new long[] { 1 }).ToArrayDouble();
        Assert.That(soft.PerSample, Is.EqualTo(expected).Within(1e-6));
        Assert.That(soft.Aggregation, Is.EqualTo(LieAggregation.MeanAbsoluteSoftmax));
        Assert.That(soft.Value, Is.Not.EqualTo(square.Value).Within(1e-9), "the conventions differ");
    }

    [Test]
    public void SoftmaxAggregation_OfFeatureMapOutput_IsRefused()
    {
        using var scope = NewDisposeScope();
        var x = LieModels.Images(2, 1, 8, 8);
        var ex = Assert.Throws<ArgumentException>(() => LocalEquivarianceError.Measure(z => z * 2.0, x, new TranslationX(),
            new LieOptions { Aggregation = LieAggregation.MeanAbsoluteSoftmax }));
        Assert.That(ex!.Message, Does.Contain("N×K logits"));
    }

    [Test]
    public void Measure_InBatches_EqualsOneBatch()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(1);
        var x = LieModels.Images(7, 1, 12, 12);
        var one = LocalEquivarianceError.Measure(model.call, x, new Rotation());
        var batched = LocalEquivarianceError.Measure(model.call, x, new Rotation(), new LieOptions { BatchSize = 3 });
        Assert.That(batched.Samples, Is.EqualTo(7));
        Assert.That(batched.PerSample, Is.EqualTo(one.PerSample).Within(1e-12));
        var json = one.ToJson();
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("aggregation").GetString(), Is.EqualTo("MeanSquare"));
        Assert.That(doc.RootElement.GetProperty("value").GetDouble(), Is.EqualTo(one.Value));
    }
}
