using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Jit;

public class ScriptModuleForwardAdTests
{
    private static (Tensor x, Tensor v) Float64Inputs(long side, ulong seed)
    {
        using var g = new Generator(seed);
        return (randn(new long[] { 2, 1, side, side }, g, ScalarType.Float64), randn(new long[] { 2, 1, side, side }, g, ScalarType.Float64));
    }

    private static Tensor CentralDifference(Func<Tensor, Tensor> f, Tensor x, Tensor v, double h)
    {
        using (no_grad())
            return (f(x + v * h) - f(x - v * h)) / (2 * h);
    }

    [TestCase(SmallCnnScripted, 8)]
    [TestCase(SmallCnnTraced, 8)]
    [TestCase(NestedScripted, 6)]
    public void Jvp_ThroughScriptModule_MatchesCentralFiniteDifferences_InFloat64(string file, long side)
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(file));
        model.eval();
        model.to(ScalarType.Float64);
        var (x, v) = Float64Inputs(side, 11);
        // Warm the graph executor first: after a few runs it switches to its optimized plan, which drops tangents.
        for (int i = 0; i < 3; i++) model.call(x);

        var (y, jv) = autograd.jvp(model.call, x, v);
        var fd = CentralDifference(model.call, x, v, 1e-6);

        Assert.That(y.allclose(model.call(x), rtol: 0, atol: 1e-12), Is.True);
        double scale = jv.abs().max().item();
        Assert.That(scale, Is.GreaterThan(1e-3), "the tangent is not trivially zero");
        Assert.That((jv - fd).abs().max().item(), Is.LessThanOrEqualTo(1e-6 * Math.Max(1, scale)));
    }

    [Test]
    public void Forward_UnderDualLevel_AlwaysCarriesTangent_EvenWithOptimizedExecutionRequested()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        model.eval();
        model.to(ScalarType.Float64);
        model.optimized_execution = true;
        var (x, v) = Float64Inputs(8, 12);
        for (int i = 0; i < 3; i++) model.call(x);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using var level = autograd.forward_ad.dual_level();
            var (_, tangent) = autograd.forward_ad.unpack_dual(model.call(autograd.forward_ad.make_dual(x, v)));
            Assert.That(tangent, Is.Not.Null, $"attempt {attempt}");
        }
    }

    [Test]
    public void ForwardWithTaps_UnderDualLevel_GivesTangentsOnEveryTap()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(NestedScripted));
        model.eval();
        model.to(ScalarType.Float64);
        var (x, v) = Float64Inputs(6, 13);
        using var level = autograd.forward_ad.dual_level();
        var (output, taps) = model.forward_with_taps(autograd.forward_ad.make_dual(x, v));
        var (_, outputTangent) = autograd.forward_ad.unpack_dual(output);
        Assert.That(outputTangent, Is.Not.Null);
        foreach (var tap in taps)
            Assert.That(autograd.forward_ad.unpack_dual(tap.Output).tangent, Is.Not.Null, tap.Name);
        // The head is the last call and its output is the model output.
        var headTangent = autograd.forward_ad.unpack_dual(taps[^1].Output).tangent!;
        Assert.That(taps[^1].Name, Is.EqualTo("head"));
        Assert.That(headTangent.allclose(outputTangent!, rtol: 0, atol: 1e-12), Is.True);
    }

    [Test]
    public void Jvp_AfterWarmingChildrenAndTaps_StillMatchesFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(NestedScripted));
        model.eval();
        model.to(ScalarType.Float64);
        var (x, v) = Float64Inputs(6, 14);
        // Warm every executor that could be reached: the children directly, the taps, the parent.
        var features = (ScriptModule)model.named_children().First(c => c.name == "features").module;
        var firstConv = (ScriptModule)features.named_children().First().module;
        for (int i = 0; i < 3; i++)
        {
            firstConv.call(x);
            features.call(x);
            model.forward_with_taps(x);
            model.call(x);
        }
        var (_, jv) = autograd.jvp(model.call, x, v);
        var fd = CentralDifference(model.call, x, v, 1e-6);
        Assert.That((jv - fd).abs().max().item(), Is.LessThanOrEqualTo(1e-6 * Math.Max(1, jv.abs().max().item())));

        var (_, jvFeatures) = autograd.jvp(features.call, x, v);
        var fdFeatures = CentralDifference(features.call, x, v, 1e-6);
        Assert.That((jvFeatures - fdFeatures).abs().max().item(), Is.LessThanOrEqualTo(1e-6 * Math.Max(1, jvFeatures.abs().max().item())));

        using var level = autograd.forward_ad.dual_level();
        var (_, taps) = model.forward_with_taps(autograd.forward_ad.make_dual(x, v));
        Assert.That(taps.Select(t => autograd.forward_ad.unpack_dual(t.Output).tangent), Is.All.Not.Null);
    }

    [Test]
    public void OptimizedExecutionOff_GivesSameOutputAsOptimized()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        model.eval();
        var x = randn(2, 1, 8, 8);
        Tensor optimized = model.call(x);
        for (int i = 0; i < 3; i++) optimized = model.call(x);
        model.optimized_execution = false;
        var plain = model.call(x);
        Assert.That(plain.allclose(optimized, rtol: 0, atol: 1e-6), Is.True);
    }
}
