using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>Runs its children in registration order (like Sequential), or with a custom forward.</summary>
internal sealed class Chain : nn.Module<Tensor, Tensor>
{
    private readonly List<nn.Module<Tensor, Tensor>> _stages = new();
    private readonly Func<IReadOnlyList<nn.Module<Tensor, Tensor>>, Tensor, Tensor>? _forward;

    public Chain(Func<IReadOnlyList<nn.Module<Tensor, Tensor>>, Tensor, Tensor>? forward = null) : base("Chain") => _forward = forward;

    public Chain Add(string name, nn.Module<Tensor, Tensor> stage)
    {
        register_module(name, stage);
        _stages.Add(stage);
        return this;
    }

    public Chain Add(string name, string typeName, Func<Tensor, Tensor> f) => Add(name, new Fn(typeName, f));

    public override Tensor forward(Tensor input)
    {
        if (_forward is not null) return _forward(_stages, input);
        var h = input;
        foreach (var s in _stages) h = s.call(h);
        return h;
    }
}

/// <summary>Lie-derivative test models: chains of functional stages over float64 weights (closures, not parameters: the Lie derivative is taken in the input).</summary>
internal static class LieModels
{
    /// <summary>
    /// A residual block forward(x) = x + conv(relu(x)) (2 channels, weights seeded 61): running its children in order
    /// gives conv(relu(x)), not the model.
    /// </summary>
    public static Chain ResidualBlock()
    {
        var w = Weights.Random(new long[] { 2, 2, 3, 3 }, 61, 0.3);
        return new Chain((stages, z) => z + stages[1].call(stages[0].call(z)))
            .Add("act", "ReLU", z => z.relu())
            .Add("conv", "Conv2d", z => nn.functional.conv2d(z, w, null, padding: new long[] { 1, 1 }));
    }

    /// <summary>conv(circular) → conv(circular) → global average pool → linear: translation invariant by construction.</summary>
    public static Chain CircularLinearConvNet(long channels, ScalarType dtype = ScalarType.Float64)
    {
        var w1 = Weights.Random(new long[] { 4, channels, 3, 3 }, 11, 0.3, dtype);
        var b1 = Weights.Random(new long[] { 4 }, 12, 0.1, dtype);
        var w2 = Weights.Random(new long[] { 5, 4, 3, 3 }, 13, 0.3, dtype);
        var lw = Weights.Random(new long[] { 3, 5 }, 14, 0.5, dtype);
        return new Chain()
            .Add("conv1", "Conv2d", x => TorchTestSupport.CircularConv2d(x, w1, b1))
            .Add("conv2", "Conv2d", x => TorchTestSupport.CircularConv2d(x, w2, null))
            .Add("gap", "AdaptiveAvgPool2d", x => x.mean(new long[] { 2, 3 }))
            .Add("fc", "Linear", x => nn.functional.linear(x, lw));
    }

    /// <summary>
    /// A nonlinear function of the 2-D DFT power spectrum |F x Fᵀ|² (DFT by real cos/sin matrices): invariant to
    /// cyclic translation, and its Lie derivative along any real antisymmetric circulant tangent is exactly zero.
    /// </summary>
    public static Func<Tensor, Tensor> PowerSpectrumNet(long size, long channels)
    {
        var k = arange(0.0, size, 1.0, ScalarType.Float64);
        var angles = k.view(size, 1) * k.view(1, size) * (2 * Math.PI / size);
        var c = angles.cos();
        var s = angles.sin();
        var w = Weights.Random(new long[] { 4, channels * size * size }, 21, 0.05);
        var v = Weights.Random(new long[] { 3, 4 }, 22, 0.5);
        return x =>
        {
            var re = c.matmul(x).matmul(c) - s.matmul(x).matmul(s);
            var im = c.matmul(x).matmul(s) + s.matmul(x).matmul(c);
            var power = re.square() + im.square();
            var hidden = nn.functional.linear((power + 1.0).log().flatten(1), w).tanh();
            return nn.functional.linear(hidden, v);
        };
    }

    /// <summary>A small CNN: conv → relu → maxpool(2) → conv → tanh → blur-pool(2) → GAP → linear.</summary>
    public static Chain SmallCnn(long channels, ScalarType dtype = ScalarType.Float64, bool smooth = false)
    {
        var w1 = Weights.Random(new long[] { 6, channels, 3, 3 }, 31, 0.4, dtype);
        var b1 = Weights.Random(new long[] { 6 }, 32, 0.1, dtype);
        var w2 = Weights.Random(new long[] { 8, 6, 3, 3 }, 33, 0.3, dtype);
        var lw = Weights.Random(new long[] { 5, 8 }, 34, 0.5, dtype);
        var blur = (tensor(new double[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }, new long[] { 1, 1, 3, 3 }) / 16.0).repeat(8, 1, 1, 1).to(dtype, copy: true);
        return new Chain()
            .Add("conv1", "Conv2d", x => nn.functional.conv2d(x, w1, b1, padding: new long[] { 1, 1 }))
            .Add("act1", smooth ? "SiLU" : "ReLU", x => smooth ? nn.functional.silu(x) : x.relu())
            .Add("pool1", smooth ? "AvgPool2d" : "MaxPool2d", x => smooth ? nn.functional.avg_pool2d(x, new long[] { 2, 2 }) : nn.functional.max_pool2d(x, new long[] { 2, 2 }))
            .Add("conv2", "Conv2d", x => nn.functional.conv2d(x, w2, null, padding: new long[] { 1, 1 }))
            .Add("act2", "Tanh", x => x.tanh())
            .Add("blurpool", "BlurPool2d", x => nn.functional.conv2d(x, blur, null, new long[] { 2, 2 }, new long[] { 1, 1 }, groups: 8))
            .Add("gap", "AdaptiveAvgPool2d", x => x.mean(new long[] { 2, 3 }))
            .Add("fc", "Linear", x => nn.functional.linear(x, lw));
    }

    public static Tensor Images(long n, long c, long h, long w, ulong seed = 5, ScalarType dtype = ScalarType.Float64)
    {
        using var g = new Generator(seed);
        using var x = rand(new[] { n, c, h, w }, dtype: ScalarType.Float64, generator: g);
        return x.to(dtype, copy: true);
    }
}
