namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// Forward mode cannot give this jvp (an operation without a forward-mode formula, no tangent reaching the output,
/// a nested call); <see cref="Jvp"/> falls back to double backward under <see cref="JvpMethod.Auto"/> and reports
/// <see cref="Exception.Message"/> under <see cref="JvpMethod.ForwardMode"/>.
/// </summary>
internal sealed class ForwardModeNotApplicableException : Exception
{
    public ForwardModeNotApplicableException(string message, Exception? innerException = null)
        : base(message, innerException) { }

    public ForwardModeNotApplicableException() { }

    public ForwardModeNotApplicableException(string message) : base(message) { }
}
