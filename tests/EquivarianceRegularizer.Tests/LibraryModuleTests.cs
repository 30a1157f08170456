using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests;

/// <summary>The regularizer with the library's nn modules and continuous image transforms.</summary>
public class LibraryModuleTests
{
    [TestCase(NormLayerMode.BatchStatistics)]
    [TestCase(NormLayerMode.Eval)]
    public void BatchNorm2d_RunningStatisticsAndBatchCount_AreUntouchedByTheRegularizer(NormLayerMode mode)
    {
        using var model = Cnns.BatchNormMaxPoolCnn();
        using var reg = new EquivarianceError(model, new long[] { 1, 12, 12 }, new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) },
            dist: Distance.CrossEntropyLogits, n: 16, options: new EquivarianceErrorOptions { Seed = 1, Evaluation = EvaluationOptions.Default with { NormLayers = mode } });
        using var scope = NewDisposeScope();
        model.call(rand(4, 1, 12, 12)); // a training forward first, so the statistics are not at their initial values
        var buffers = model.named_buffers().Select(b => (b.name, before: b.buffer.clone())).ToArray();
        Assert.That(buffers.Select(b => b.name), Has.Some.EndsWith("running_mean").And.Some.EndsWith("num_batches_tracked"));
        reg.call().backward();
        foreach (var (name, before) in buffers)
            Assert.That(model.named_buffers().Single(b => b.name == name).buffer.eq(before).all().item<bool>(), Is.True, name);
        Assert.That(model.named_modules().All(m => m.module.training), Is.True, "modes restored");
        var bn = (TorchSharp.Modules.BatchNorm)model.named_modules().First(m => m.module is TorchSharp.Modules.BatchNorm).module;
        Assert.That(bn.momentum, Is.EqualTo(0.1), "momentum restored");
        // A training forward outside the regularizer still updates them.
        model.call(rand(4, 1, 12, 12));
        var rm = buffers.First(b => b.name.EndsWith("running_mean", StringComparison.Ordinal));
        Assert.That(model.named_buffers().Single(b => b.name == rm.name).buffer.allclose(rm.before), Is.False);
    }

    [Test]
    public void BatchStatisticsMode_NormalisesLikeTheTrainingForward_EvalModeLikeInference()
    {
        using var model = Cnns.BatchNormMaxPoolCnn();
        using var scope = NewDisposeScope();
        var x = rand(6, 1, 12, 12) * 3.0;
        var rot = new RotationByQuarterTurns();
        using var e = rot.Group.Element(0, 6); // identity element: model(f_in(v)) = model(v)
        var pairs = new[] { Symmetry.Invariant(rot) };
        Tensor trainOut, evalOut;
        using (new NormStatisticsGuard(model)) trainOut = model.call(cat(new[] { x, x }));
        using (new NormStatisticsGuard(model, NormLayerMode.Eval)) evalOut = model.call(x);
        using var batch = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: new[] { e });
        using var eval = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: new[] { e },
            options: EvaluationOptions.Default with { NormLayers = NormLayerMode.Eval });
        Assert.That(batch.ModelOutput.allclose(trainOut.narrow(0, 0, 6), 1e-4, 1e-5), Is.True);
        Assert.That(eval.ModelOutput.allclose(evalOut, 1e-4, 1e-5), Is.True);
        Assert.That(batch.ModelOutput.allclose(eval.ModelOutput, 1e-3, 1e-3), Is.False, "the two modes differ on a fresh network");
    }

    [Test]
    public void LiePenalty_ThroughAConvNet_IsFiniteAndReachesEveryWeight()
    {
        using var model = Cnns.BatchNormMaxPoolCnn();
        using var reg = new EquivarianceError(model, new long[] { 1, 12, 12 }, new[] { EquivarianceTerm.Lie(new Rotation()) },
            n: 8, options: new EquivarianceErrorOptions { Seed = 2 });
        using var scope = NewDisposeScope();
        var penalty = reg.call();
        Assert.That(penalty.ToDouble(), Is.GreaterThan(0));
        penalty.backward();
        // Biases shift activations only; the Lie derivative depends on them only through piecewise-constant ReLU
        // and max-pool masks, so their gradient is 0. Every weight must receive gradient.
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.EndsWith("weight", StringComparison.Ordinal)))
            Assert.That(p.grad is not null && p.grad.abs().sum().ToDouble() > 0, Is.True, name);
    }

    [Test]
    public void LiePenalty_SeesTheEquivarianceOfAnImageToVectorModel()
    {
        // Centroid of an image: rotating the image rotates the centroid. With the vector rotation as f_out the
        // Lie derivative is ~0; treated as an invariance it is the centroid's angular velocity, clearly not 0.
        using var model = new CentroidModel();
        model.to(ScalarType.Float64);
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var x = (-(arange(0, 24, dtype: ScalarType.Float64) - 14).square().view(1, 1, 1, 24) / 6.0).exp()
            * (-(arange(0, 24, dtype: ScalarType.Float64) - 9).square().view(1, 1, 24, 1) / 6.0).exp();
        x = x.expand(2, 1, 24, 24).contiguous();
        var rotation = new Rotation();
        var equivariant = InfinitesimalEvaluator.SquaredNormPerSample(InfinitesimalEvaluator.LieDerivative(model, x, Symmetry.Equivariant(rotation, new VectorRotation2D()))).mean().ToDouble();
        var invariant = InfinitesimalEvaluator.SquaredNormPerSample(InfinitesimalEvaluator.LieDerivative(model, x, Symmetry.Invariant(rotation))).mean().ToDouble();
        TestContext.Out.WriteLine($"E||L f||²: with the vector rotation {equivariant:E2}, as an invariance {invariant:E2}");
        Assert.That(invariant, Is.GreaterThan(1.0));
        Assert.That(equivariant, Is.LessThan(1e-3 * invariant));
    }
}
