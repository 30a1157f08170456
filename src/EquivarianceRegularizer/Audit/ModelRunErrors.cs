using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// The checks made before an audit touches a model, and libtorch's complaints about a forward the model cannot run,
/// said in the audit's terms (InputShape, Inputs, the model) instead of the first layer's kernel's or the TorchScript
/// interpreter's.
/// </summary>
internal static partial class ModelRunErrors
{
    /// <summary>Marks (in <see cref="Exception.Data"/>) the errors of a forward the model could not run; the model's own
    /// exception is the inner one, for callers that explain it in their own terms (eqv's --input-shape).</summary>
    public const string DataKey = "EquivarianceRegularizer.ModelCouldNotRun";

    /// <summary>Throws when the model is disposed or holds no values (the meta device).</summary>
    public static void CheckUsable(ObservedModel model)
    {
        Device device;
        bool disposed;
        try
        {
            _ = model.Training; // a disposed TorchSharp module throws here; its parameters may still look alive
            disposed = model.State().Any(s => s.Tensor.IsInvalid);
            device = disposed ? CPU : model.Device;
        }
        catch (ObjectDisposedException)
        {
            disposed = true;
            device = CPU;
        }
        if (disposed)
            throw new ObjectDisposedException(nameof(model),
                "The model has been disposed (its `using` block ended, or Dispose was called) before the audit; create or load it again, " +
                "and keep it alive until the audit returns.");
        if (device.type == DeviceType.META)
            throw new ArgumentException(
                "The model's parameters are on the 'meta' device: they have shapes but no values, so the model cannot be run. Load or " +
                "initialise its weights on the CPU (or a GPU) before auditing it.", nameof(model));
    }

    /// <summary>Throws when a tensor the user gave has been disposed.</summary>
    public static void CheckAlive(Tensor t, string argumentName)
    {
        if (t.IsInvalid)
            throw new ObjectDisposedException(argumentName,
                $"{argumentName} has been disposed (its dispose scope ended, or Dispose was called) before the library used it; keep it " +
                "alive until the call returns (create it outside the `using var scope = torch.NewDisposeScope()` that ends first).");
    }

    /// <summary>Runs <paramref name="forward"/>, explaining a failure caused by the input's shape.</summary>
    public static Tensor Run(Func<Tensor> forward, Tensor input, AuditOptions options)
    {
        try
        {
            return forward();
        }
        // libtorch's errors arrive as ExternalException; TorchSharp's own checks (a convolution's channel count) as ArgumentException.
        catch (Exception e) when (e is ExternalException or ArgumentException)
        {
            var sample = input.shape.Skip(1).ToArray();
            string given = options.Inputs is not null ? $"Inputs (one sample [{string.Join(",", sample)}])" : $"InputShape [{string.Join(",", sample)}]";
            // The channel explanation only where the sample's first axis is what the kernel counted (not a wrong rank).
            var c = Channels().Match(e.Message);
            bool channels = c.Success && sample.Length >= 2
                && (!c.Groups["got"].Success || c.Groups["got"].Value == sample[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
            string why = channels
                ? $"its first convolution takes {c.Groups["expected"].Value} channel(s) but {given} gives {sample[0]} (channels come first: C,H,W)"
                : Informative(e.Message);
            var error = new ArgumentException(
                $"The model cannot run on inputs of shape [{string.Join(",", input.shape)}] (the batch, then {given}): {why}. " +
                "Give the shape of one sample as the model takes it, without the batch axis.", options.Inputs is not null ? nameof(options.Inputs) : nameof(options.InputShape), e);
            error.Data[DataKey] = true;
            throw error;
        }
    }

    /// <summary>The line of a libtorch message that says what went wrong (a TorchScript traceback's last line).</summary>
    private static string Informative(string message)
    {
        var lines = message.Split('\n', '\r').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("Exception raised from", StringComparison.Ordinal)
            && !l.StartsWith("frame #", StringComparison.Ordinal)).ToList();
        if (lines.Count == 0) return "libtorch gave no reason";
        int traceback = lines.FindIndex(l => l.Contains("Traceback of TorchScript", StringComparison.Ordinal) || l.Contains("TorchScript interpreter", StringComparison.Ordinal));
        return (traceback >= 0 ? lines[^1] : lines[0]).TrimEnd('.');
    }

    // libtorch: "... to have 1 channels, but got 3 channels instead"; TorchSharp: "... input with 1 channels to Conv2d".
    [GeneratedRegex(@"to have (?<expected>\d+) channels, but got (?<got>\d+) channels|input with (?<expected>\d+) channels to \w+")]
    private static partial Regex Channels();
}
