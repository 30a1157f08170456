using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Support;

/// <summary>Test conveniences over TorchSharp: seeded initialisation, circular convolution, live-tensor counts.</summary>
internal static class TorchTestSupport
{
    /// <summary>
    /// Re-initialises every parameter of <paramref name="module"/> from <paramref name="generator"/> with PyTorch's
    /// default bounds for Linear/Conv (uniform ±1/√fan_in; TorchSharp's nn.init takes no generator), and returns it.
    /// </summary>
    public static T Seeded<T>(this T module, Generator generator) where T : nn.Module
    {
        using var _ = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (p.Rank() < 1) continue;
            var weight = name.EndsWith("bias", StringComparison.Ordinal) ? module.named_parameters().FirstOrDefault(q => q.name == name[..^4] + "weight").parameter : p;
            long fanIn = weight is null || weight.Rank() < 2 ? p.numel() : weight.numel() / weight.size(0);
            double bound = 1.0 / Math.Sqrt(Math.Max(1, fanIn));
            p.uniform_(-bound, bound, generator);
        }
        return module;
    }

    /// <summary>
    /// A parameter from a tensor (TorchSharp's register_parameter takes a Parameter). The parameter is taken out of
    /// any dispose scope that is open (models are often built inside one), so that it lives as long as its module.
    /// </summary>
    public static Parameter AsModuleParameter(this Tensor t)
    {
        var p = new Parameter(t, requires_grad: true);
        p.DetachFromDisposeScope();
        return p;
    }

    /// <summary>conv2d with circular padding of <paramref name="pad"/> pixels (TorchSharp's functional conv2d has no padding_mode).</summary>
    public static Tensor CircularConv2d(Tensor x, Tensor weight, Tensor? bias, long pad = 1)
    {
        using var padded = nn.functional.pad(x, new[] { pad, pad, pad, pad }, PaddingModes.Circular);
        return nn.functional.conv2d(padded, weight, bias);
    }

    /// <summary>Tensors alive on this thread (TorchSharp's dispose-scope statistics).</summary>
    public static long LiveTensors => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
