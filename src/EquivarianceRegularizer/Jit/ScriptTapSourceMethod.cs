namespace EquivarianceRegularizer.Jit;

/// <summary>One method of a module class in an archive's TorchScript source.</summary>
/// <param name="Name">The method's name (<c>forward</c>, <c>forward1</c> in traced models, helpers).</param>
/// <param name="SelfParameter">The printed <c>self: __torch__.Type</c> parameter.</param>
/// <param name="Parameters">The parameters after <c>self</c>.</param>
/// <param name="ReturnType">The printed return annotation.</param>
/// <param name="Body">The body's lines, indentation kept.</param>
internal sealed record ScriptTapSourceMethod(
    string Name,
    string SelfParameter,
    IReadOnlyList<ScriptTapSourceParameter> Parameters,
    string ReturnType,
    IReadOnlyList<string> Body)
{
    /// <summary>
    /// Whether calling this method on a child is what PyTorch's forward hooks see: <c>forward</c>, or the
    /// <c>forward1</c>, <c>forward2</c>, ... that tracing makes for a child called more than once.
    /// </summary>
    public bool IsForward => Name == "forward" || (Name.StartsWith("forward", StringComparison.Ordinal)
        && Name.Length > 7 && Name[7..].All(char.IsAsciiDigit));
}
