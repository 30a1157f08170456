using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Jit;

/// <summary>A module that returns (lin(2x), x + 1), through a child `split` that returns (2x, x + 1).</summary>
public class TupleOutputTests
{
    private static Tensor ExpectedHead(ScriptModule model, Tensor x)
    {
        var p = model.named_parameters().ToDictionary(q => q.name, q => q.parameter);
        using (no_grad()) return nn.functional.linear(x * 2.0, p["lin.weight"], p["lin.bias"]);
    }

    [Test]
    public void Forward_OfTupleResult_ThrowsInvalidOperation_PointingToForwardFlat()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(TwoHeads));
        var ex = Assert.Throws<InvalidOperationException>(() => model.call(ones(4, 3)));
        Assert.That(ex!.Message, Does.Contain("forward_flat"));
    }

    [Test]
    public void ForwardFlat_OfTupleResult_GivesEveryTensorInOrder()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(TwoHeads));
        var x = randn(4, 3);
        var outputs = model.forward_flat(x);
        Assert.That(outputs, Has.Length.EqualTo(2));
        Assert.That(outputs[0].allclose(ExpectedHead(model, x), rtol: 0, atol: 1e-6), Is.True);
        Assert.That(outputs[1].allclose(x + 1.0), Is.True);
    }

    [Test]
    public void ForwardWithTaps_OfChildReturningTuple_CapturesEveryOutputTensor()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(TwoHeads));
        var x = randn(4, 3);
        var (outputs, taps) = model.forward_with_taps(new[] { x });
        Assert.That(outputs, Has.Length.EqualTo(2));
        Assert.That(taps.Select(t => (t.Name, t.TypeName)), Is.EqualTo(new[] { ("split", "Split"), ("lin", "Linear") }));
        var split = taps[0];
        Assert.That(split.Outputs, Has.Length.EqualTo(2));
        Assert.That(split.Outputs[0].allclose(x * 2.0), Is.True);
        Assert.That(split.Outputs[1].allclose(x + 1.0), Is.True);
        Assert.Throws<InvalidOperationException>(() => _ = split.Output);
        Assert.That(taps[1].Inputs[0].allclose(x * 2.0), Is.True);
        Assert.That(taps[1].Output.allclose(outputs[0]), Is.True);
        Assert.Throws<InvalidOperationException>(() => model.forward_with_taps(x));
    }
}
