using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EquivarianceRegularizer.Tests.Audit;

// Small modules over functional ops, so the audit's tests do not depend on the nn layer library.

/// <summary>A parameter-free layer with a given type name.</summary>
internal sealed class Fn(string type, Func<Tensor, Tensor> f) : nn.Module<Tensor, Tensor>(type)
{
    public override Tensor forward(Tensor input) => f(input);
}

internal sealed class Seq : nn.Module<Tensor, Tensor>
{
    private readonly List<nn.Module<Tensor, Tensor>> _layers = new();

    public Seq(params nn.Module<Tensor, Tensor>[] layers) : base("Sequential")
    {
        for (int i = 0; i < layers.Length; i++)
        {
            register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
            _layers.Add(layers[i]);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var l in _layers) x = l.call(x);
        return (ReferenceEquals(x, input) ? x.alias() : x).MoveToOuterDisposeScope();
    }
}

internal static class TensorAlias
{
    public static Tensor alias(this Tensor x) => x.view(x.shape);
}

internal sealed class Conv : nn.Module<Tensor, Tensor>
{
    private readonly long _stride, _padding;
    private readonly string _mode;

    /// <summary>A conv; with <paramref name="symmetric"/> the kernel is averaged over D4, so it is rot90/flip equivariant.</summary>
    public Conv(long cin, long cout, long k, Generator g, bool symmetric = true, long stride = 1, long padding = -1, string paddingMode = "zeros")
        : base("Conv2d")
    {
        _stride = stride;
        _padding = padding < 0 ? k / 2 : padding;
        _mode = paddingMode;
        using var scope = NewDisposeScope();
        // Built in float64 and rounded once, so that the D4 average is exactly symmetric in float32 too.
        var w = randn(new[] { cout, cin, k, k }, dtype: ScalarType.Float64, generator: g) * (1.0 / Math.Sqrt(cin * k * k));
        if (symmetric)
        {
            var acc = zeros_like(w);
            for (int f = 0; f < 2; f++)
            {
                var wf = f == 0 ? w : w.flip(3);
                for (int r = 0; r < 4; r++) acc = acc + wf.rot90(r, (2, 3));
            }
            w = acc / 8;
        }
        register_parameter("weight", (w.to(ScalarType.Float32).detach()).AsParameter());
        register_parameter("bias", ((randn(new[] { cout }, generator: g) * 0.1).detach()).AsParameter());
    }

    public override Tensor forward(Tensor input)
    {
        if (_mode != "circular")
            return F.conv2d(input, get_parameter("weight")!, get_parameter("bias"), new[] { _stride, _stride }, new[] { _padding, _padding });
        using var padded = F.pad(input, new[] { _padding, _padding, _padding, _padding }, PaddingModes.Circular);
        return F.conv2d(padded, get_parameter("weight")!, get_parameter("bias"), new[] { _stride, _stride });
    }
}

internal sealed class Linear : nn.Module<Tensor, Tensor>
{
    public Linear(long cin, long cout, Generator g) : base("Linear")
    {
        register_parameter("weight", (randn(new[] { cout, cin }, generator: g) * (1.0 / Math.Sqrt(cin))).detach().AsParameter());
        register_parameter("bias", ((randn(new[] { cout }, generator: g) * 0.1).detach()).AsParameter());
    }

    public override Tensor forward(Tensor input) => F.linear(input, get_parameter("weight")!, get_parameter("bias"));
}

internal sealed class BatchNorm : nn.Module<Tensor, Tensor>
{
    public BatchNorm(long c) : base("BatchNorm2d")
    {
        register_buffer("running_mean", zeros(c));
        register_buffer("running_var", ones(c));
    }

    public override Tensor forward(Tensor input) =>
        F.batch_norm(input, get_buffer("running_mean"), get_buffer("running_var"), training: training);
}

internal sealed class Dropout(double p) : nn.Module<Tensor, Tensor>("Dropout")
{
    public override Tensor forward(Tensor input) => F.dropout(input, p, training);
}

internal static class Zoo
{
    public static Fn Relu() => new("ReLU", x => x.relu());

    /// <summary>(B,C,H,W) → (B,C) by averaging over space.</summary>
    public static Fn GlobalAvgPool() => new("AdaptiveAvgPool2d", x => x.mean(new long[] { 2, 3 }));

    public static Fn Flatten() => new("Flatten", x => x.flatten(1));

    /// <summary>A C4/D4-invariant CNN: symmetric convs, ReLU, global pooling, linear head.</summary>
    public static Seq InvariantCnn(ulong seed = 1, bool symmetric = true)
    {
        using var g = new Generator(seed);
        return new Seq(new Conv(1, 8, 3, g, symmetric), Relu(), new Conv(8, 8, 3, g, symmetric), Relu(), GlobalAvgPool(), new Linear(8, 4, g));
    }

    /// <summary>A rot90-equivariant fully convolutional net (output is a feature map).</summary>
    public static Seq EquivariantFcn(ulong seed = 2, string paddingMode = "zeros")
    {
        using var g = new Generator(seed);
        return new Seq(new Conv(1, 4, 3, g, true, paddingMode: paddingMode), new Fn("Tanh", x => x.tanh()), new Conv(4, 2, 3, g, true, paddingMode: paddingMode));
    }
}
