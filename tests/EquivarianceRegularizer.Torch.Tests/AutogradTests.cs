using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>Reverse-mode autograd: requires_grad, backward, grad, zero_grad, no_grad, autograd.grad, double backward.</summary>
public class AutogradTests
{
    [Test]
    public void Backward_OfScalar_FillsGradOfLeaf()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2, 3 }, requires_grad: true);
        Assert.That(x.requires_grad, Is.True);
        Assert.That(x.is_leaf, Is.True);
        Assert.That(x.grad, Is.Null, "no gradient before backward");
        var y = (x * x).sum();
        Assert.That(y.is_leaf, Is.False);
        y.backward();
        Assert.That(x.grad!.data<double>(), Is.EqualTo(new double[] { 2, 4, 6 }));
    }

    [Test]
    public void Backward_WithGradientArgument_ComputesVectorJacobianProduct()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2, 3 }, requires_grad: true);
        var y = x * x;
        y.backward(tensor(new double[] { 1, 0.5, -1 }));
        Assert.That(x.grad!.data<double>(), Is.EqualTo(new double[] { 2, 2, -6 }));
    }

    [Test]
    public void Backward_Twice_NeedsRetainGraph_AndAccumulates()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2 }, requires_grad: true);
        var y = x.exp().sum();
        y.backward(retain_graph: true);
        y.backward(retain_graph: true);
        Assert.That(x.grad!.data<double>(), Is.EqualTo(new[] { 2 * Math.Exp(1), 2 * Math.Exp(2) }).Within(1e-12));
        y.backward();
        var ex = Assert.Throws<TorchException>(() => y.backward());
        Assert.That(ex!.Message, Does.Contain("backward through the graph a second time"));
    }

    [Test]
    public void ZeroGrad_ClearsOrZeroesTheGradient()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2 }, requires_grad: true);
        (x * 3).sum().backward();
        x.zero_grad(set_to_none: false);
        Assert.That(x.grad!.data<double>(), Is.EqualTo(new double[] { 0, 0 }));
        (x * 3).sum().backward();
        Assert.That(x.grad!.data<double>(), Is.EqualTo(new double[] { 3, 3 }));
        x.zero_grad();
        Assert.That(x.grad, Is.Null);
    }

    [Test]
    public void NoGrad_StopsRecording_AndRestoresOnDispose()
    {
        using var scope = NewDisposeScope();
        var x = ones(new long[] { 2 }, requires_grad: true);
        Assert.That(is_grad_enabled(), Is.True);
        using (no_grad())
        {
            Assert.That(is_grad_enabled(), Is.False);
            Assert.That((x * 2).requires_grad, Is.False);
            using (enable_grad()) Assert.That((x * 2).requires_grad, Is.True);
            Assert.That(is_grad_enabled(), Is.False);
        }
        Assert.That(is_grad_enabled(), Is.True);
        Assert.That((x * 2).requires_grad, Is.True);
    }

    [Test]
    public void GradMode_IsPerThread()
    {
        using var noGrad = no_grad();
        bool otherThreadEnabled = false, otherThreadRecords = false;
        var thread = new Thread(() =>
        {
            using var scope = NewDisposeScope();
            otherThreadEnabled = is_grad_enabled();
            var x = ones(new long[] { 2 }, requires_grad: true);
            otherThreadRecords = (x * 2).requires_grad;
        });
        thread.Start();
        thread.Join();
        Assert.That(is_grad_enabled(), Is.False, "this thread is still in no_grad");
        Assert.That(otherThreadEnabled, Is.True, "another thread is unaffected by this thread's no_grad");
        Assert.That(otherThreadRecords, Is.True);
    }

    [Test]
    public void AutogradGrad_ReturnsGradients_WithoutTouchingDotGrad()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2 }, requires_grad: true);
        var b = tensor(new double[] { 3, 4 }, requires_grad: true);
        var y = (a * b).sum();
        var g = autograd.grad(new[] { y }, new[] { a, b });
        Assert.That(g[0]!.data<double>(), Is.EqualTo(new double[] { 3, 4 }));
        Assert.That(g[1]!.data<double>(), Is.EqualTo(new double[] { 1, 2 }));
        Assert.That(a.grad, Is.Null);
    }

    [Test]
    public void AutogradGrad_OfUnusedInput_IsNullWithAllowUnused_ElseThrows()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2 }, requires_grad: true);
        var unused = tensor(new double[] { 3 }, requires_grad: true);
        var y = a.sum();
        var g = autograd.grad(new[] { y }, new[] { a, unused }, retain_graph: true, allow_unused: true);
        Assert.That(g[1], Is.Null);
        Assert.Throws<TorchException>(() => autograd.grad(new[] { y }, new[] { a, unused }));
    }

    [Test]
    public void AutogradGrad_WithCreateGraph_GivesSecondDerivative()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 0.5, -1, 2 }, requires_grad: true);
        var y = (x.pow(3) + x.sin()).sum();
        var dy = autograd.grad(new[] { y }, new[] { x }, create_graph: true)[0]!;
        Assert.That(dy.requires_grad, Is.True, "first derivative is differentiable");
        var d2 = autograd.grad(new[] { dy.sum() }, new[] { x })[0]!.data<double>();
        var xs = new[] { 0.5, -1, 2 };
        for (int i = 0; i < 3; i++) Assert.That(d2[i], Is.EqualTo(6 * xs[i] - Math.Sin(xs[i])).Within(1e-12));
    }

    [Test]
    public void DoubleBackward_ThroughConvAndGradientPenalty_MatchesFiniteDifference()
    {
        // ‖∂L/∂x‖² as a loss on the weights (a gradient penalty) needs double backward through conv2d.
        using var scope = NewDisposeScope();
        var x = Support.GradCheck.Smooth(new long[] { 1, 1, 4, 4 }).requires_grad_();
        double Penalty(Tensor w, bool create)
        {
            var loss = nn.functional.conv2d(x, w, padding: new long[] { 1, 1 }).tanh().sum();
            var gx = autograd.grad(new[] { loss }, new[] { x }, create_graph: create)[0]!;
            return (gx * gx).sum().item();
        }
        var wValues = Support.GradCheck.Smooth(new long[] { 1, 1, 3, 3 }, seed: 4).ToArrayDouble();
        var wLeaf = tensor(wValues, new long[] { 1, 1, 3, 3 }, requires_grad: true);
        var loss = nn.functional.conv2d(x, wLeaf, padding: new long[] { 1, 1 }).tanh().sum();
        var gxLeaf = autograd.grad(new[] { loss }, new[] { x }, create_graph: true)[0]!;
        var dw = autograd.grad(new[] { (gxLeaf * gxLeaf).sum() }, new[] { wLeaf })[0]!.data<double>();
        const double h = 1e-6;
        for (int i = 0; i < 9; i++)
        {
            var plus = (double[])wValues.Clone(); plus[i] += h;
            var minus = (double[])wValues.Clone(); minus[i] -= h;
            double fd = (Penalty(tensor(plus, new long[] { 1, 1, 3, 3 }), false) - Penalty(tensor(minus, new long[] { 1, 1, 3, 3 }), false)) / (2 * h);
            Assert.That(dw[i], Is.EqualTo(fd).Within(1e-6 + 1e-5 * Math.Abs(fd)), $"weight {i}");
        }
    }

    [Test]
    public void Detach_CutsTheGraph()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 2 }, requires_grad: true);
        var y = x * x.detach();
        y.sum().backward();
        Assert.That(x.grad!.item(), Is.EqualTo(2));
        Assert.That(x.detach().requires_grad, Is.False);
    }

    [Test]
    public void RequiresGrad_CanBeSetOnLeaf_AndIsRejectedOnNonLeaf()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 2);
        Assert.That(x.requires_grad, Is.False);
        x.requires_grad = true;
        Assert.That(x.requires_grad, Is.True);
        var y = x * 2;
        var ex = Assert.Throws<InvalidOperationException>(() => y.requires_grad = false);
        Assert.That(ex!.Message, Does.Contain("leaf"));
        var ints = zeros(new long[] { 2 }, int64);
        Assert.Throws<InvalidOperationException>(() => ints.requires_grad_());
    }
}
