using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// Whether libtorch's forward AD can be reached in this process, decided once, at first use: the level functions
/// and operators are looked up in the loaded libtorch, the dual-tensor helper is compiled, and a probe jvp with a
/// known answer is run. Any failure leaves forward mode off, with the reason.
/// </summary>
internal sealed class ForwardModeSupport
{
    /// <summary>Environment variable that turns forward mode off for the process (any value but empty or "0").</summary>
    public const string DisableVariable = "EQUIVARIANCE_REGULARIZER_DISABLE_FORWARD_AD";

    /// <summary>
    /// Held for the whole life of a forward-AD level. libtorch has one process-wide level and throws (which here
    /// would end the process) on a second, so levels take turns across threads.
    /// </summary>
    public static readonly object LevelLock = new();

    private static readonly Lazy<ForwardModeSupport> Detected = new(Detect, LazyThreadSafetyMode.ExecutionAndPublication);

    private ForwardModeSupport(ForwardAdNativeFunctions? functions, DualTensorScript? script, string? unavailableReason)
    {
        Functions = functions;
        Script = script;
        UnavailableReason = unavailableReason;
    }

    /// <summary>The process's verdict (detected on first access).</summary>
    public static ForwardModeSupport Current => Detected.Value;

    /// <summary>The level functions; null when forward mode is unavailable.</summary>
    public ForwardAdNativeFunctions? Functions { get; }

    /// <summary>The dual-tensor helper; null when forward mode is unavailable.</summary>
    public DualTensorScript? Script { get; }

    /// <summary>Why forward mode is unavailable; null when it is available.</summary>
    public string? UnavailableReason { get; }

    /// <summary>True when forward-mode jvps can be computed in this process.</summary>
    public bool IsAvailable => UnavailableReason is null;

    private static ForwardModeSupport Detect()
    {
        var disabled = Environment.GetEnvironmentVariable(DisableVariable);
        if (!string.IsNullOrEmpty(disabled) && disabled != "0")
            return Unavailable($"it is turned off by the environment variable {DisableVariable}.");

        // TorchSharp loads libtorch on its first native call; make sure that has happened before looking for it.
        InitializeDeviceType(DeviceType.CPU);
        var functions = ForwardAdNativeFunctions.TryResolve(out var reason);
        if (functions is null) return Unavailable(reason ?? "libtorch's forward-AD functions were not found.");

        DualTensorScript script;
        try
        {
            script = DualTensorScript.Compile();
        }
        catch (Exception e) when (e is ExternalException or Jit.TorchScriptLoadException)
        {
            return Unavailable($"the dual-tensor helper did not compile ({e.Message.FirstLine()}).");
        }

        var candidate = new ForwardModeSupport(functions, script, null);
        var probeFailure = Probe(candidate);
        return probeFailure is null ? candidate : Unavailable(probeFailure);
    }

    // f(x) = x², x = (1, 2, 3), v = (1, 0.5, 2): J·v = 2x·v = (2, 2, 12) exactly in float64.
    private static readonly double[] ProbeInput = [1.0, 2.0, 3.0];
    private static readonly double[] ProbeDirection = [1.0, 0.5, 2.0];
    private static readonly double[] ProbeOutput = [1.0, 4.0, 9.0];
    private static readonly double[] ProbeTangent = [2.0, 2.0, 12.0];

    private static string? Probe(ForwardModeSupport candidate)
    {
        try
        {
            using var scope = NewDisposeScope();
            var x = tensor(ProbeInput, dtype: ScalarType.Float64);
            var v = tensor(ProbeDirection, dtype: ScalarType.Float64);
            var (output, tangent) = ForwardModeJvp.Compute(candidate, t => t * t, x, v, createGraph: false);
            var expectedTangent = tensor(ProbeTangent, dtype: ScalarType.Float64);
            var expectedOutput = tensor(ProbeOutput, dtype: ScalarType.Float64);
            bool right = tangent.eq(expectedTangent).all().item<bool>() && output.eq(expectedOutput).all().item<bool>();
            return right ? null : "a probe jvp with a known answer came out wrong.";
        }
        catch (Exception e) when (e is ExternalException or ForwardModeNotApplicableException)
        {
            return $"a probe jvp failed ({e.Message}).";
        }
    }

    private static ForwardModeSupport Unavailable(string reason) => new(null, null, reason);
}
