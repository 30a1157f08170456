namespace EquivarianceRegularizer.Jit;

/// <summary>One parameter of a TorchScript method as printed in an archive: <c>name: Type</c> or <c>name: Type=default</c>.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="Type">Its annotated type, as printed (<c>Tensor</c>, <c>Optional[Tensor]</c>, ...).</param>
/// <param name="Text">The whole parameter as printed, default included, to copy into a rewritten signature.</param>
internal sealed record ScriptTapSourceParameter(string Name, string Type, string Text);
