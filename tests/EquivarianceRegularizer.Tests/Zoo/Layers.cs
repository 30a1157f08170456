using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EquivarianceRegularizer.Tests.Zoo;

// The building blocks of the test models: TorchSharp nn layers with seeded or symmetrised weights, plus the few
// layers TorchSharp has no module for (a function with a type name, a BatchNorm that is not TorchSharp's, blur-pool).

/// <summary>A parameter-free layer with a given type name, written as a function.</summary>
internal sealed class Fn(string type, Func<Tensor, Tensor> f) : nn.Module<Tensor, Tensor>(type)
{
    public override Tensor forward(Tensor input) => f(input);
}

/// <summary>
/// BatchNorm2d over functional batch_norm (updates running statistics in training mode). On purpose not TorchSharp's
/// BatchNorm class: the library recognises it by its type name only (as it does a TorchScript BatchNorm), which is the
/// path these tests keep covered; the TorchSharp nn.BatchNorm2d is covered by the models that use it.
/// </summary>
internal sealed class FunctionalBatchNorm : nn.Module<Tensor, Tensor>
{
    private readonly bool _affine;

    /// <param name="channels">Channels normalised.</param>
    /// <param name="affine">With a learned scale (ones) and shift (zeros).</param>
    public FunctionalBatchNorm(long channels, bool affine = true) : base("BatchNorm2d")
    {
        _affine = affine;
        if (affine)
        {
            register_parameter("weight", ones(channels).AsModuleParameter());
            register_parameter("bias", zeros(channels).AsModuleParameter());
        }
        register_buffer("running_mean", zeros(channels));
        register_buffer("running_var", ones(channels));
    }

    public Tensor RunningMean => get_buffer("running_mean")!;

    public override Tensor forward(Tensor input) => _affine
        ? F.batch_norm(input, get_buffer("running_mean"), get_buffer("running_var"), get_parameter("weight"), get_parameter("bias"), training)
        : F.batch_norm(input, get_buffer("running_mean"), get_buffer("running_var"), training: training);
}

/// <summary>Elementwise natural log: NaN for negative inputs, −∞ at 0.</summary>
internal sealed class Log() : nn.Module<Tensor, Tensor>("Log")
{
    public override Tensor forward(Tensor input) => input.log();
}

/// <summary>Zhang (2019)'s anti-aliased downsampling: a depthwise [1 2 1]⊗[1 2 1]/16 blur, stride 2.</summary>
internal sealed class BlurPool2d : nn.Module<Tensor, Tensor>
{
    private readonly long _channels;

    public BlurPool2d(long channels) : base("BlurPool2d")
    {
        _channels = channels;
        using var k = tensor(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }, new long[] { 1, 1, 3, 3 });
        register_buffer("kernel", (k / 16.0).repeat(channels, 1, 1, 1));
    }

    public override Tensor forward(Tensor input)
    {
        using var padded = F.pad(input, new long[] { 1, 1, 1, 1 }, PaddingModes.Reflect);
        return F.conv2d(padded, get_buffer("kernel")!, null, new long[] { 2, 2 }, groups: _channels);
    }
}

internal static class TensorAlias
{
    /// <summary>A new tensor handle over the same storage (a module must not return its input handle).</summary>
    public static Tensor alias(this Tensor x) => x.view(x.shape);
}

/// <summary>Seeded parameter values.</summary>
internal static class Weights
{
    /// <summary>randn(shape) · 0.5 from a generator seeded 11 (float32; every call draws the same prefix).</summary>
    public static Tensor Param(params long[] shape)
    {
        using var g = new Generator(11);
        using var scope = NewDisposeScope();
        return (randn(shape, generator: g) * 0.5).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="t"/> · <paramref name="factor"/>, disposing <paramref name="t"/>.</summary>
    public static Tensor Scaled(Tensor t, double factor)
    {
        using (t) return t * factor;
    }

    /// <summary>randn(shape) · scale drawn in float64 from a generator seeded <paramref name="seed"/>, then cast (in the caller's dispose scope).</summary>
    public static Tensor Random(long[] shape, ulong seed, double scale, ScalarType dtype = ScalarType.Float64)
    {
        using var g = new Generator(seed);
        using var w = randn(shape, dtype: ScalarType.Float64, generator: g);
        return (w * scale).to(dtype, copy: true);
    }

    /// <summary>The average of a conv kernel (cout, cin, k, k) over the eight elements of D4 (rot90s of it and of its mirror).</summary>
    public static Tensor D4Average(Tensor w)
    {
        using var scope = NewDisposeScope();
        var acc = zeros_like(w);
        for (int f = 0; f < 2; f++)
        {
            var wf = f == 0 ? w : w.flip(3);
            for (int r = 0; r < 4; r++) acc = acc + wf.rot90(r, (2, 3));
        }
        return (acc / 8).MoveToOuterDisposeScope();
    }

    /// <summary>Overwrites <paramref name="parameter"/> with <paramref name="value"/> (disposing it) and returns the owner.</summary>
    public static void Set(Tensor parameter, Tensor value)
    {
        using var _ = no_grad();
        using (value) parameter.copy_(value);
    }
}

/// <summary>TorchSharp nn layers as the test models use them.</summary>
internal static class Layers
{
    public static ReLU Relu() => nn.ReLU();

    public static Tanh Tanh() => nn.Tanh();

    public static Flatten Flatten() => nn.Flatten();

    public static Dropout Dropout(double p) => nn.Dropout(p);

    /// <summary>(B,C,H,W) → (B,C) by averaging over space, as one layer (nn.AdaptiveAvgPool2d keeps the 1×1 axes).</summary>
    public static Fn GlobalAvgPool() => new("AdaptiveAvgPool2d", x => x.mean(new long[] { 2, 3 }));

    /// <summary>
    /// nn.Conv2d with weights randn/√(cin k²) and biases randn·0.1 from <paramref name="g"/>; with
    /// <paramref name="symmetric"/> the kernel is averaged over D4, so it is rot90/flip equivariant.
    /// </summary>
    public static Conv2d Conv(long cin, long cout, long k, Generator g, bool symmetric = true, long stride = 1, long padding = -1, string paddingMode = "zeros")
    {
        var conv = nn.Conv2d(cin, cout, k, stride: stride, padding: padding < 0 ? k / 2 : padding,
            padding_mode: paddingMode == "circular" ? PaddingModes.Circular : PaddingModes.Zeros);
        using var scope = NewDisposeScope();
        // Built in float64 and rounded once, so that the D4 average is exactly symmetric in float32 too.
        var w = randn(new[] { cout, cin, k, k }, dtype: ScalarType.Float64, generator: g) * (1.0 / Math.Sqrt(cin * k * k));
        if (symmetric) w = Weights.D4Average(w);
        Weights.Set(conv.weight!, w.to(ScalarType.Float32));
        Weights.Set(conv.bias!, randn(new[] { cout }, generator: g) * 0.1);
        return conv;
    }

    /// <summary>nn.Linear with weights randn/√cin and biases randn·0.1 from <paramref name="g"/>.</summary>
    public static TorchSharp.Modules.Linear Linear(long cin, long cout, Generator g)
    {
        var linear = nn.Linear(cin, cout);
        using var scope = NewDisposeScope();
        Weights.Set(linear.weight!, randn(new[] { cout, cin }, generator: g) * (1.0 / Math.Sqrt(cin)));
        Weights.Set(linear.bias!, randn(new[] { cout }, generator: g) * 0.1);
        return linear;
    }
}
