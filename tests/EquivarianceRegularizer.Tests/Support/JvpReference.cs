using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Support;

/// <summary>Reference computations and inputs shared by the jvp specifications.</summary>
internal static class JvpReference
{
    /// <summary>(f(x + h v) − f(x − h v)) / 2h, in float64: the cross-check, never the method.</summary>
    public static Tensor CentralDifference(Func<Tensor, Tensor> f, Tensor x, Tensor v, double h = 1e-6)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x64 = x.to(float64);
        var v64 = v.to(float64);
        return ((f(x64 + h * v64) - f(x64 - h * v64)) / (2 * h)).MoveToOuterDisposeScope();
    }

    /// <summary>max |actual − expected| / max |expected|.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var a = actual.to(float64);
        var e = expected.to(float64);
        return (a - e).abs().max().item<double>() / e.abs().max().item<double>();
    }

    /// <summary>Inputs of the size the CNN is run on here (a small batch of 12×12 single-channel images).</summary>
    public static (Tensor X, Tensor V) ImagesAndDirection(ScalarType dtype, int seed = 11, long batch = 3)
    {
        using var generator = new Generator((ulong)seed);
        var x = rand([batch, 1, 12, 12], dtype: dtype, generator: generator);
        var v = randn([batch, 1, 12, 12], dtype: dtype, generator: generator);
        return (x, v);
    }
}
