namespace EquivarianceRegularizer.Jit;

/// <summary>
/// A TorchScript archive or source that cannot be loaded. <see cref="Exception.Message"/> is one line in the user's
/// terms (which file, what is wrong, what to do); <see cref="LibtorchMessage"/> keeps libtorch's own text when there is one.
/// </summary>
/// <remarks>
/// An <see cref="IOException"/> (a file that cannot be read as a model), because <see cref="InvalidDataException"/>,
/// which the former binding threw, is sealed.
/// </remarks>
public sealed class TorchScriptLoadException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the load failed.</param>
    /// <param name="message">One line for the user.</param>
    /// <param name="path">The file, or null for TorchScript source.</param>
    /// <param name="libtorchMessage">libtorch's own error text, when it produced one.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public TorchScriptLoadException(TorchScriptLoadFailure reason, string message, string? path = null, string? libtorchMessage = null,
        Exception? innerException = null)
        : base(message ?? throw new ArgumentNullException(nameof(message)), innerException)
    {
        Reason = reason;
        Path = path;
        LibtorchMessage = libtorchMessage;
    }

    /// <summary>Why the load failed.</summary>
    public TorchScriptLoadFailure Reason { get; }

    /// <summary>The archive's full path, or null when TorchScript source was compiled.</summary>
    public string? Path { get; }

    /// <summary>libtorch's error text (several lines, with the offending code), or null when the project's own checks failed.</summary>
    public string? LibtorchMessage { get; }
}
