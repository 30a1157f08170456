using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Differentiation;

/// <summary>Models and reference computations shared by the jvp specifications.</summary>
internal static class JvpTestModels
{
    /// <summary>
    /// conv-relu-maxpool, conv-batchnorm(eval, non-trivial statistics)-relu, global average pool, linear: the layer
    /// kinds the library's models use, in eval mode.
    /// </summary>
    public static nn.Module<Tensor, Tensor> SmallReluCnn(ScalarType dtype, int seed = 7)
    {
        random.manual_seed(seed);
        var batchNorm = nn.BatchNorm2d(8);
        using (no_grad())
        {
            batchNorm.running_mean!.uniform_(-0.5, 0.5);
            batchNorm.running_var!.uniform_(0.5, 2.0);
            batchNorm.weight!.uniform_(0.5, 1.5);
        }
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 4, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(4, 8, 3, padding: 1)), ("bn2", batchNorm), ("relu2", nn.ReLU()),
            ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(8, 3)));
        model.to(dtype);
        model.eval();
        return model;
    }

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
