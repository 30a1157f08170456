using EquivarianceRegularizer.Differentiation;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Differentiation;

/// <summary>Both jvp methods on closed-form and small-CNN cases, against each other and finite differences.</summary>
public class JvpLinearAndCnnTests
{
    private static readonly JvpMethod[] ExactMethods = [JvpMethod.ForwardMode, JvpMethod.DoubleBackward, JvpMethod.Auto];

    [Test]
    public void ForwardMode_OnThisMachine_IsAvailable()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("Checked on Linux, where libtorch's symbols are known.");
        Assert.That(Jvp.ForwardModeAvailable, Is.True, Jvp.ForwardModeUnavailableReason);
        Assert.That(Jvp.ForwardModeUnavailableReason, Is.Null);
    }

    [Test]
    public void Compute_OnLinearMap_GivesClosedFormAv(
        [ValueSource(nameof(ExactMethods))] JvpMethod method, [Values(ScalarType.Float32, ScalarType.Float64)] ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var a = randn([5, 4], dtype: dtype, generator: generator);
        var b = randn([5], dtype: dtype, generator: generator);
        var x = randn([6, 4], dtype: dtype, generator: generator);
        var v = randn([6, 4], dtype: dtype, generator: generator);

        var (output, tangent) = Jvp.Compute(t => t.matmul(a.t()) + b, x, v, method);

        double tolerance = dtype == ScalarType.Float64 ? 1e-14 : 1e-6;
        Assert.That(JvpReference.RelativeError(tangent, v.matmul(a.t())), Is.LessThan(tolerance));
        Assert.That(JvpReference.RelativeError(output, x.matmul(a.t()) + b), Is.LessThan(tolerance));
        Assert.That(tangent.dtype, Is.EqualTo(dtype));
    }

    [Test]
    public void ForwardModeAndDoubleBackward_OnSmallReluCnn_AgreeAndMatchFloat64FiniteDifference()
    {
        using var scope = NewDisposeScope();
        var model = Cnns.EvalReluCnn(ScalarType.Float64);
        var (x, v) = JvpReference.ImagesAndDirection(ScalarType.Float64);

        var forward = Jvp.Compute(model.call, x, v, JvpMethod.ForwardMode);
        var backward = Jvp.Compute(model.call, x, v, JvpMethod.DoubleBackward);
        var difference = JvpReference.CentralDifference(model.call, x, v);

        Assert.That(JvpReference.RelativeError(forward.Tangent, backward.Tangent), Is.LessThan(1e-12));
        Assert.That(JvpReference.RelativeError(forward.Tangent, difference), Is.LessThan(1e-6));
        Assert.That(JvpReference.RelativeError(backward.Tangent, difference), Is.LessThan(1e-6));
        Assert.That(forward.Tangent.abs().max().item<double>(), Is.GreaterThan(1e-3), "a tangent that is not zero");
        using var _ = no_grad();
        var plain = model.call(x);
        Assert.That(JvpReference.RelativeError(forward.Output, plain), Is.LessThan(1e-15));
        Assert.That(JvpReference.RelativeError(backward.Output, plain), Is.LessThan(1e-15));
    }

    [Test]
    public void ForwardModeAndDoubleBackward_OnSmallReluCnnInFloat32_AgreeAndMatchFiniteDifference()
    {
        using var scope = NewDisposeScope();
        var model = Cnns.EvalReluCnn(ScalarType.Float32);
        var (x, v) = JvpReference.ImagesAndDirection(ScalarType.Float32);

        var forward = Jvp.Compute(model.call, x, v, JvpMethod.ForwardMode);
        var backward = Jvp.Compute(model.call, x, v, JvpMethod.DoubleBackward);
        var model64 = Cnns.EvalReluCnn(ScalarType.Float64);
        var difference = JvpReference.CentralDifference(model64.call, x, v);

        Assert.That(forward.Tangent.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(JvpReference.RelativeError(forward.Tangent, backward.Tangent), Is.LessThan(1e-5));
        Assert.That(JvpReference.RelativeError(forward.Tangent, difference), Is.LessThan(1e-5));
    }

    [Test]
    public void ForwardMode_OverRepeatedRuns_GivesTheSameTangentEachTime()
    {
        using var scope = NewDisposeScope();
        var model = Cnns.EvalReluCnn(ScalarType.Float64);
        var (x, v) = JvpReference.ImagesAndDirection(ScalarType.Float64);
        var expected = Jvp.Compute(model.call, x, v, JvpMethod.DoubleBackward).Tangent;

        for (int run = 0; run < 20; run++)
        {
            using var runScope = NewDisposeScope();
            var (_, tangent) = Jvp.Compute(model.call, x, v, JvpMethod.ForwardMode);
            Assert.That(JvpReference.RelativeError(tangent, expected), Is.LessThan(1e-12), $"run {run}");
        }
    }

    [Test]
    public void CreateGraph_GradientsOfTangentPenaltyWrtParameters_EqualBetweenMethods()
    {
        using var scope = NewDisposeScope();
        var model = Cnns.EvalReluCnn(ScalarType.Float64);
        var (x, v) = JvpReference.ImagesAndDirection(ScalarType.Float64);

        var gradients = new Dictionary<JvpMethod, List<Tensor>>();
        foreach (var method in new[] { JvpMethod.ForwardMode, JvpMethod.DoubleBackward })
        {
            model.zero_grad();
            var (_, tangent) = Jvp.Compute(model.call, x, v, method, createGraph: true);
            Assert.That(tangent.requires_grad, Is.True, $"{method}: the tangent must be differentiable");
            tangent.square().mean().backward();
            gradients[method] = model.parameters().Select(p => p.grad?.clone() ?? zeros_like(p)).ToList();
        }

        var forward = gradients[JvpMethod.ForwardMode];
        var backward = gradients[JvpMethod.DoubleBackward];
        Assert.That(forward, Has.Count.EqualTo(backward.Count).And.Count.GreaterThan(4));
        for (int i = 0; i < forward.Count; i++)
        {
            if (backward[i].abs().max().item<double>() == 0) { Assert.That(forward[i].abs().max().item<double>(), Is.Zero); continue; }
            Assert.That(JvpReference.RelativeError(forward[i], backward[i]), Is.LessThan(1e-10), $"parameter {i}");
        }
        Assert.That(backward[0].abs().max().item<double>(), Is.GreaterThan(0), "the first conv's weight gets a gradient");
    }

    [Test]
    public void WithoutCreateGraph_BothResultsAreDetached([ValueSource(nameof(ExactMethods))] JvpMethod method)
    {
        using var scope = NewDisposeScope();
        var model = Cnns.EvalReluCnn(ScalarType.Float32);
        var (x, v) = JvpReference.ImagesAndDirection(ScalarType.Float32);

        var (output, tangent) = Jvp.Compute(model.call, x, v, method);

        Assert.That(output.requires_grad, Is.False);
        Assert.That(tangent.requires_grad, Is.False);
        Assert.That(tangent.shape, Is.EqualTo(new long[] { 3, 3 }));
    }

    [Test]
    public void Compute_LeavesOnlyItsTwoResultsInTheCallersScope([ValueSource(nameof(ExactMethods))] JvpMethod method,
        [Values] bool createGraph)
    {
        using var scope = NewDisposeScope();
        var model = Cnns.EvalReluCnn(ScalarType.Float32);
        var (x, v) = JvpReference.ImagesAndDirection(ScalarType.Float32);
        _ = Jvp.Compute(model.call, x, v, method, createGraph); // warm-up: one-time allocations

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            var (output, tangent) = Jvp.Compute(model.call, x, v, method, createGraph);
            Assert.That(output.IsInvalid || tangent.IsInvalid, Is.False);
            output.Dispose();
            tangent.Dispose();
        }
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before));

        var (kept, keptTangent) = Jvp.Compute(model.call, x, v, method, createGraph);
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before + 2));
        Assert.That(keptTangent.sum().item<float>(), Is.Not.NaN, "results stay usable after Compute returns");
    }
}
