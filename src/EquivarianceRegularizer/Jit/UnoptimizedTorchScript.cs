using EquivarianceRegularizer.Differentiation;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Runs TorchScript unoptimised on the current thread while the scope lives (libtorch's thread-local
/// <c>torch::jit::setGraphExecutorOptimize(false)</c>), then restores what was set before. TorchScript's profiling
/// executor profiles and re-optimises a graph for every new input signature (shape, dtype, whether a gradient is
/// recorded); the audit and the layer-wise Lie attribution call each of a model's layers a few times at most, on
/// changing signatures, so that work is never paid back. Measured on the 2-core machine (load 1.5–1.9), optimised vs
/// unoptimised, same reports to the last digit:
/// <c>eqv audit --layers --gradient</c>, 2 samples of 3×16×16: mobilenet_v2 scripted 12.6–13.4 s vs 4.0–4.5 s (the
/// audit's phases 9–10 s vs 1.2 s), LRASPP traced 10.4–11.4 s vs 5.9–6.4 s; torchvision's resnet18 at 3×224×224,
/// 8 samples: 17.1–21.2 s vs 17.2–18.7 s. <c>eqv lie --layers</c>, 1 sample of 3×16×16: mobilenet_v2 scripted
/// 10.9 s vs 4.3 s, LRASPP scripted 10.5 s vs 5.3 s; resnet18 at 3×224×224, 2 samples: 26.6 s vs 23.0 s. The tests on
/// torchvision's architectures, back to back (load 1.5–3.5): the CLI's 42 (RealFixtureCliTests) 2 min 7 s vs 1 min 0 s,
/// the library's 88 (Tests.Real) 2 min 31 s vs 1 min 13 s.
/// Where libtorch does not export the switch, nothing changes.
/// </summary>
internal readonly struct UnoptimizedTorchScript : IDisposable
{
    private static readonly Lazy<ForwardAdNativeFunctions?> Functions = new(() =>
    {
        // TorchSharp loads libtorch on its first native call; the switch is looked up in the loaded library.
        InitializeDeviceType(DeviceType.CPU);
        return ForwardAdNativeFunctions.TryResolve(out _);
    });

    private readonly bool _restore;

    private UnoptimizedTorchScript(bool restore) => _restore = restore;

    /// <summary>Turns the optimisation off on this thread until the returned scope is disposed.</summary>
    public static UnoptimizedTorchScript Begin()
    {
        var functions = Functions.Value;
        if (functions is null) return default;
        bool before = functions.GraphExecutorOptimize;
        functions.GraphExecutorOptimize = false;
        return new UnoptimizedTorchScript(before);
    }

    /// <summary>Restores the optimisation setting that held before <see cref="Begin"/>.</summary>
    public void Dispose()
    {
        if (_restore && Functions.Value is { } functions) functions.GraphExecutorOptimize = true;
    }
}
