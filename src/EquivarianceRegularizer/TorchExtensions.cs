using System.Runtime.InteropServices;

namespace EquivarianceRegularizer;

/// <summary>Small conveniences over TorchSharp used throughout the library.</summary>
internal static class TorchExtensions
{
    /// <summary>Whether the dtype is a real floating-point type (the dtypes the library computes in).</summary>
    public static bool IsFloatingPoint(this ScalarType dtype) => torch.is_floating_point(dtype);

    /// <summary>True when every element is finite (no NaN, no ±∞).</summary>
    public static bool all_finite(this Tensor t)
    {
        if (!t.dtype.IsFloatingPoint()) return true;
        using var finite = torch.isfinite(t).all();
        return finite.item<bool>();
    }

    /// <summary>
    /// Throws when <paramref name="generator"/> has been disposed: TorchSharp passes a disposed Generator to libtorch as a
    /// null handle, and libtorch then draws from its global generator, silently ignoring the user's seed.
    /// </summary>
    /// <exception cref="ObjectDisposedException"><paramref name="generator"/> is disposed.</exception>
    internal static Generator RequireLive(this Generator generator, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(generator, parameterName);
        if (generator.Handle == IntPtr.Zero)
            throw new ObjectDisposedException(parameterName,
                $"The Generator given as '{parameterName}' (or as EquivarianceErrorOptions.Generator) has been disposed, so its draws " +
                "would silently come from libtorch's global generator instead of your seed. Keep it alive while the library uses it " +
                "(for a regularizer: until the regularizer is disposed), or give a Seed instead.");
        return generator;
    }

    /// <summary>The module's type name as a user knows it ("Conv2d", or the TorchScript class name).</summary>
    public static string TypeName(this nn.Module m)
    {
        // TorchScript modules: GetName() reads a native nn::Module name that a script module does not have.
        if (m is jit.ScriptModule) return "ScriptModule";
        // TorchSharp's own modules: their class is what the user wrote (nn.BatchNorm2d makes a BatchNorm2d). The name
        // they pass their base constructor is not: BatchNorm2d passes "BatchNorm1d", Sequential the native
        // "torch::nn::SequentialImpl" (TorchSharp 0.107).
        var type = m.GetType();
        if (type.Assembly != typeof(nn.Module).Assembly)
        {
            // The user's modules carry the name they gave their constructor.
            var given = m.GetName();
            if (!string.IsNullOrEmpty(given)) return given;
        }
        var name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    /// <summary>Whether <paramref name="e"/> is an error raised by libtorch (TorchSharp surfaces them as <see cref="ExternalException"/>).</summary>
    public static bool IsTorchError(this Exception e) => e is ExternalException;

    /// <summary>
    /// <paramref name="t"/> on <paramref name="device"/>: the tensor itself when it is already there (TorchSharp's
    /// <c>to(device)</c> makes a native call and a new handle even then, and these moves sit on every step's path).
    /// </summary>
    public static Tensor OnDevice(this Tensor t, Device device) =>
        t.device_type == device.type && (t.device_index == device.index || device.index < 0) ? t : t.to(device);

    /// <summary>The number of dimensions as an int (TorchSharp's <c>ndim</c> is a long; dimension arguments are ints).</summary>
    public static int Rank(this Tensor t) => (int)t.ndim;

    /// <summary>The values as a float64 array, whatever the tensor's dtype and device.</summary>
    public static double[] ToArrayDouble(this Tensor t)
    {
        using var cpu = t.detach().to(ScalarType.Float64, CPU).contiguous();
        return cpu.data<double>().ToArray();
    }

    /// <summary>The first line of a (libtorch) message, whose later lines are a C++ stack trace.</summary>
    public static string FirstLine(this string message)
    {
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? message : message[..newline];
    }
}
