using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Regularizer;

/// <summary>The regularizer inside a user's training step: one forward shared with the loss, no device reads, λ under control.</summary>
public class TrainingLoopTests
{
    private static readonly Func<Tensor, Tensor> Identity = x => x;

    /// <summary>Counts the rows every forward sees.</summary>
    private sealed class CountingCnn : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _net;
        public long Rows;

        public CountingCnn(bool batchNorm = false) : base("CountingCnn")
        {
            torch.manual_seed(11);
            _net = batchNorm
                ? nn.Sequential(("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("bn", nn.BatchNorm2d(4)), ("relu", nn.ReLU()),
                    ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(4, 3)))
                : nn.Sequential(("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("relu", nn.ReLU()),
                    ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(4, 3)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            Rows += input.size(0);
            return _net.call(input);
        }
    }

    private static EquivarianceTerm[] Turns() =>
    [
        (IdentityTransform.Instance, new LambdaTransform("rot1", x => x.rot90(1, (-2, -1))), 0.0, 1.0),
        (IdentityTransform.Instance, new LambdaTransform("rot2", x => x.rot90(2, (-2, -1))), 0.0, 0.5),
        (IdentityTransform.Instance, new LambdaTransform("flip", x => x.flip(-1)), 0.0, 2.0),
    ];

    [Test]
    public void SharedOutput_GivesTheSameValueAndGradient_AndRunsTheModelOnlyOnTheTransformedCopies()
    {
        using var model = new CountingCnn();
        using var reg = new EquivarianceError(model, [1, 8, 8], Turns(), dist: "cross_entropy_logits", numFuncs: 3);
        using var scope = NewDisposeScope();
        var x = rand(6, 1, 8, 8);

        model.Rows = 0;
        var own = reg.call(x);
        long ownRows = model.Rows;
        var gradOwn = autograd.grad([own], model.parameters().ToArray())[0];

        model.Rows = 0;
        var logits = model.call(x);
        var shared = reg.call(x, logits);
        long sharedRows = model.Rows;
        var gradShared = autograd.grad([shared], model.parameters().ToArray())[0];

        Assert.That(shared.item<float>(), Is.EqualTo(own.item<float>()).Within(1e-6));
        Assert.That(gradShared.allclose(gradOwn, rtol: 1e-5, atol: 1e-7), Is.True);
        Assert.That(ownRows, Is.EqualTo(6 * 4), "model(v) and three transformed copies");
        Assert.That(sharedRows, Is.EqualTo(6 * 4), "the loss's forward and three transformed copies: the batch runs once");
    }

    [Test]
    public void BatchNormInTrainMode_NormalisesEachTransformedCopyOverItsOwnBatch_AsAHandWrittenPenalty()
    {
        using var model = new CountingCnn(batchNorm: true);
        model.train();
        using var reg = new EquivarianceError(model, [1, 8, 8], Turns(), numFuncs: 3);
        using var scope = NewDisposeScope();
        var x = rand(5, 1, 8, 8);
        var logits = model.call(x);
        var ours = reg.call(x, logits).item<float>();

        double byHand = 0;
        var lambdas = new[] { 1.0, 0.5, 2.0 };
        var inputs = new[] { x.rot90(1, (-2, -1)), x.rot90(2, (-2, -1)), x.flip(-1) };
        using (no_grad())
            for (int k = 0; k < 3; k++)
                byHand += lambdas[k] * linalg.vector_norm(logits - model.call(inputs[k]), 2, new long[] { 1 }).mean().item<float>();
        Assert.That(ours, Is.EqualTo(byHand).Within(1e-5), "one forward per copy, each normalised over its own 5 rows");
    }

    [Test]
    public void BatchNormRunningStatistics_AreLeftToTheUsersOwnForward()
    {
        using var model = new CountingCnn(batchNorm: true);
        model.train();
        var bn = (BatchNorm2d)model.modules().First(m => m is BatchNorm2d);
        using var reg = new EquivarianceError(model, [1, 8, 8], Turns(), numFuncs: 3);
        using var scope = NewDisposeScope();
        var x = rand(5, 1, 8, 8);
        var logits = model.call(x);
        var mean = bn.running_mean!.clone();
        reg.call(x, logits);
        Assert.That(bn.running_mean!.allclose(mean, rtol: 0, atol: 0), Is.True, "the transformed copies do not move the running mean");
        Assert.That(bn.momentum, Is.EqualTo(0.1).Within(1e-12), "momentum restored");
    }

    [Test]
    public void Call_ReadsNothingFromTheModelsDevice_WhileEstimateDoes()
    {
        // On the meta device tensors have no data: any read (item, all_finite, data<T>) fails. A call must still work.
        // (libtorch 2.10's meta device has no convolution, ReLU, flip or index_select kernels: an MLP and view-like actions stand in.)
        var meta = new Device(DeviceType.META);
        using var model = nn.Sequential(("flatten", nn.Flatten()), ("fc1", nn.Linear(64, 16)), ("tanh", nn.Tanh()), ("fc2", nn.Linear(16, 3)));
        model.to(meta);
        using var reg = new EquivarianceError(model, [1, 8, 8],
            [EquivarianceTerm.Invariant(new LambdaTransform("transpose", x => x.transpose(-2, -1))),
             EquivarianceTerm.Constrained(Symmetry.Invariant(new LambdaTransform("negate", x => x * -1.0)), epsilon: 0.1, initialLambda: 1)],
            dist: Distance.KLDivergence(), numFuncs: 2, n: 4);
        using var scope = NewDisposeScope();
        var x = rand(new long[] { 6, 1, 8, 8 }, device: meta);
        var logits = model.call(x);
        var penalty = reg.call(x, logits);
        Assert.That(penalty.device_type, Is.EqualTo(DeviceType.META));
        Assert.That(reg.call().device_type, Is.EqualTo(DeviceType.META), "sampled points too");
        Assert.That(() => reg.Estimate(x, logits).Dispose(), Throws.Exception, "Estimate reads statistics back, which the meta device refuses");
    }

    [Test]
    public void LambdaAndEpsilon_ChangeBetweenSteps()
    {
        using var model = new IdentityModel();
        using var reg = new EquivarianceError(model, [4], [(Identity, (Func<Tensor, Tensor>)(x => x + 1), 0.0, 1.0)]);
        using var scope = NewDisposeScope();
        var v = rand(3, 4);
        Assert.That(reg.call(v).item<float>(), Is.EqualTo(2).Within(1e-5));
        reg.Transforms[0].Lambda = 3;
        Assert.That(reg.call(v).item<float>(), Is.EqualTo(6).Within(1e-5));
        reg.Transforms[0].Epsilon = 1.5;
        Assert.That(reg.call(v).item<float>(), Is.EqualTo(1.5).Within(1e-5));
        Assert.That(() => reg.Transforms[0].Lambda = 1e39, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("float32"));
        Assert.That(() => reg.Transforms[0].Epsilon = -1, Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ConstrainedTerm_RaisesLambdaWhileTheErrorExceedsEpsilon_AndLowersItToZeroBelow()
    {
        using var model = new IdentityModel();
        // error = ‖v + 1 − v‖ = 2 for 4 elements.
        var term = EquivarianceTerm.Constrained(new Symmetry(new LambdaTransform("plus1", x => x + 1), IdentityTransform.Instance), epsilon: 0.5, dualStepSize: 0.1, initialLambda: 1);
        using var reg = new EquivarianceError(model, [4], [term]);
        using var scope = NewDisposeScope();
        var v = rand(3, 4);
        var first = reg.call(v).item<float>();
        Assert.That(first, Is.EqualTo(1 * (2 - 0.5)).Within(1e-5), "the Lagrangian term λ·(error − ε) with the λ of this step");
        Assert.That(term.Lambda, Is.EqualTo(1 + 0.1 * 1.5).Within(1e-6), "λ ← λ + η·(error − ε)");
        term.Epsilon = 10;
        for (int i = 0; i < 20; i++) reg.call(v);
        Assert.That(term.Lambda, Is.EqualTo(0), "projected onto λ ≥ 0 once the constraint holds");
        Assert.That(reg.call(v).item<float>(), Is.EqualTo(0).Within(1e-6));
        term.Lambda = 2;
        Assert.That(term.Lambda, Is.EqualTo(2), "a user's λ overrides the multiplier");
    }

    [Test]
    public void Estimate_GivesTheRawDifferentiableErrors()
    {
        using var model = new CountingCnn();
        using var reg = new EquivarianceError(model, [1, 8, 8], Turns(), numFuncs: 3);
        using var scope = NewDisposeScope();
        var x = rand(4, 1, 8, 8);
        using var estimate = reg.Estimate(x, model.call(x));
        Assert.That(estimate.Errors, Has.Count.EqualTo(3));
        Assert.That(estimate.Errors.All(e => e.requires_grad), Is.True);
        Assert.That(estimate.Errors.Select(e => e.item<float>()), Is.EqualTo(estimate.Terms.Select(t => (float)t.Error)).Within(1e-6));
        Assert.That(() => reg.Estimate(null, x), Throws.ArgumentException.With.Property("ParamName").EqualTo("modelOutput"));
    }

    [Test]
    public void ModelOutput_ForOtherPoints_IsRefusedInTheUsersTerms()
    {
        using var model = new CountingCnn();
        using var reg = new EquivarianceError(model, [1, 8, 8], Turns());
        using var scope = NewDisposeScope();
        var x = rand(4, 1, 8, 8);
        var ex = Assert.Throws<ArgumentException>(() => reg.call(x, model.call(x[..2])));
        Assert.That(ex!.ParamName, Is.EqualTo("modelOutput"));
        Assert.That(ex.Message, Does.Contain("4 points").And.Contain("model.call(points)"));
    }

    [Test]
    public void NegativeCustomDistance_IsAnErrorInEstimate_NotAZeroPenalty()
    {
        using var model = new IdentityModel();
        Func<Tensor, Tensor, Tensor> negative = (a, b) => -(a - b).abs().sum(1);
        using var reg = new EquivarianceError(model, [4], [(Identity, (Func<Tensor, Tensor>)(x => x + 1), 0.0, 1.0)], dist: negative);
        using var scope = NewDisposeScope();
        Assert.That(() => reg.Estimate(rand(3, 4)), Throws.InvalidOperationException.With.Message.Contains("negative"));
    }

    [Test]
    public void UnbatchedKernel_WithAModelThatCollapsesTheBatch_IsAnError()
    {
        using var model = new Fn("MeanOverBatch", x => x.mean(new long[] { 0 }, keepdim: true));
        using var reg = new EquivarianceError(model, [4], [(Identity, (Func<Tensor, Tensor>)(x => x + 1), 0.0, 1.0)],
            options: new EquivarianceErrorOptions { Evaluation = EvaluationOptions.Default with { Batched = false } });
        using var scope = NewDisposeScope();
        Assert.That(() => reg.call(rand(4, 4)), Throws.InvalidOperationException.With.Message.Contains("one output row per input row"));
    }

    [Test]
    public void ALongLoopWithTheSharedOutput_KeepsTheLiveTensorCountFlat()
    {
        using var model = new CountingCnn(batchNorm: true);
        using var optimizer = optim.SGD(model.parameters(), 0.01);
        using var reg = new EquivarianceError(model, [1, 8, 8],
            [EquivarianceTerm.Invariant(new RotationByQuarterTurns()), EquivarianceTerm.Constrained(Symmetry.Invariant(new Flip()), 0.05)],
            dist: Distance.JensenShannon(), numFuncs: 2);
        var x = rand(8, 1, 8, 8);
        var y = randint(0, 3, new long[] { 8 });
        long at50 = 0;
        for (int step = 0; step < 200; step++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var logits = model.call(x);
                (nn.functional.cross_entropy(logits, y) + reg.call(x, logits)).backward();
                optimizer.step();
            }
            if (step == 50) at50 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(at50));
    }
}
