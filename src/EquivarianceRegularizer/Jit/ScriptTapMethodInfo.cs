namespace EquivarianceRegularizer.Jit;

/// <summary>
/// What a tapped method records when called on a child, so that the events a tapped forward returns can be
/// read back: the method's id is in each "call opened" event.
/// </summary>
/// <param name="TypeName">The class's own name (<c>Conv2d</c>), as PyTorch's hooks report it.</param>
/// <param name="MethodName">The method's name.</param>
/// <param name="IsForward">Whether a call of it is a tap (PyTorch's hooks fire for it); other child methods only keep names right.</param>
/// <param name="CapturesInput">Whether the call appends its first argument to the taps' tensors.</param>
/// <param name="CapturesOutput">Whether the call appends its result, or the result's first element, to the taps' tensors.</param>
/// <param name="Note">Why the input or output is not captured, or is captured only in part; null when both are single tensors.</param>
internal sealed record ScriptTapMethodInfo(
    string TypeName,
    string MethodName,
    bool IsForward,
    bool CapturesInput,
    bool CapturesOutput,
    string? Note);
