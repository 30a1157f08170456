using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>Models that fail on purpose: non-finite outputs, throwing forwards, bugs outside any layer.</summary>
internal static class FailureModes
{
    /// <summary>conv → log (NaN wherever the conv output is negative) → pool → linear: non-finite from layer "log".</summary>
    public static Sequential NaNProducingCnn(ulong seed)
    {
        using var g = new Generator(seed);
        return nn.Sequential(
            ("conv", nn.Conv2d(1, 4, 3, padding: 1).Seeded(g)),
            ("log", new Log()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()),
            ("head", nn.Linear(4, 3).Seeded(g)));
    }
}

/// <summary>A model whose forward throws (a user bug).</summary>
internal sealed class ThrowingModel() : nn.Module<Tensor, Tensor>("ThrowingModel")
{
    public override Tensor forward(Tensor input) => throw new InvalidOperationException("user model failed on purpose");
}

/// <summary>Multiplies its input by a constant (NaN to make NaN outputs, +∞ to make infinite ones).</summary>
internal sealed class ScaleModel(double factor) : nn.Module<Tensor, Tensor>("ScaleModel")
{
    public override Tensor forward(Tensor input) => input * factor;
}

/// <summary>w·flatten(x), with NaN exactly in the samples whose first element exceeds a threshold (finite elsewhere).</summary>
internal sealed class NaNAboveModel : nn.Module<Tensor, Tensor>
{
    private readonly double _threshold;

    public NaNAboveModel(double threshold) : base("NaNAboveModel")
    {
        _threshold = threshold;
        register_parameter("w", (full(new long[] { 1 }, 2.0).requires_grad_()).AsModuleParameter());
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var flat = input.flatten(1);
        var first = flat.narrow(1, 0, 1);
        // log(threshold − first) is NaN where first > threshold; times 0 it leaves the other samples' values alone.
        var poison = (_threshold - first).log() * 0.0;
        return (flat * get_parameter("w")! + poison).MoveToOuterDisposeScope();
    }
}

/// <summary>A conv, then its forward reads the top-left pixel: not invariant, and not inside any submodule.</summary>
internal sealed class ForwardBug : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;

    public ForwardBug() : base("ForwardBug")
    {
        using var g = new Generator(9);
        _conv = Layers.Conv(1, 2, 3, g);
        register_module("conv", _conv);
    }

    public override Tensor forward(Tensor input)
    {
        using var s = NewDisposeScope();
        var h = _conv.call(input);
        return h.select(2, 0).select(2, 0).MoveToOuterDisposeScope();
    }
}

/// <summary><see cref="Cnns.InvariantCnn"/> as child "body", and a ReLU child "unused" that the forward never calls.</summary>
internal sealed class WithUnusedChild : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _body = Cnns.InvariantCnn();

    public WithUnusedChild() : base("WithUnusedChild")
    {
        register_module("body", _body);
        register_module("unused", Layers.Relu());
    }

    public override Tensor forward(Tensor input) => _body.call(input);
}
