using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>Small real-module models for the hardening tests (named children, so audits can name layers).</summary>
internal static class HardeningModels
{
    /// <summary>conv → relu → global pool → linear: a plain (not rotation-invariant) classifier with named layers.</summary>
    public static nn.Module<Tensor, Tensor> SmallCnn(ulong seed, long classes = 3, ScalarType dtype = ScalarType.Float32)
    {
        using var g = new Generator(seed);
        return nn.Sequential(
            ("conv", nn.Conv2d(1, 4, 3, padding: 1, dtype: dtype).Seeded(g)),
            ("act", nn.ReLU()),
            ("conv2", nn.Conv2d(4, 4, 3, padding: 1, dtype: dtype).Seeded(g)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()),
            ("head", nn.Linear(4, classes, dtype: dtype).Seeded(g)));
    }

    /// <summary>conv → log (NaN wherever the conv output is negative) → pool → linear: non-finite from layer "log".</summary>
    public static nn.Module<Tensor, Tensor> NaNProducingCnn(ulong seed)
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

/// <summary>Elementwise natural log: NaN for negative inputs, −∞ at 0.</summary>
internal sealed class Log() : nn.Module<Tensor, Tensor>("Log")
{
    public override Tensor forward(Tensor input) => input.log();
}

/// <summary>A model whose forward throws (a user bug).</summary>
internal sealed class ThrowingModel() : nn.Module<Tensor, Tensor>("ThrowingModel")
{
    public override Tensor forward(Tensor input) => throw new InvalidOperationException("user model failed on purpose");
}

/// <summary>Returns its input unchanged (a copy).</summary>
internal sealed class CopyModel() : nn.Module<Tensor, Tensor>("CopyModel")
{
    public override Tensor forward(Tensor input) => input * 1.0;
}

/// <summary>Multiplies its input by a constant (e.g. +∞ to make infinite outputs).</summary>
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
        register_parameter("w", (full(new long[] { 1 }, 2.0).requires_grad_()).AsParameter());
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
