namespace EquivarianceRegularizer.Torch;

/// <summary>An error reported by libtorch through the native bridge; <see cref="Exception.Message"/> is libtorch's message.</summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchException() { }

    /// <summary>Creates the exception with libtorch's message.</summary>
    public TorchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
