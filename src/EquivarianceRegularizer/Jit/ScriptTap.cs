using TorchSharp;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// One submodule call seen during <see cref="TappedScriptModule.ForwardWithTaps(torch.Tensor, bool)"/>: what PyTorch's
/// forward hook on that submodule would have seen. By default the tensors are the ones the forward used, not
/// copies: they stay in the autograd graph (a gradient with respect to <see cref="Output"/> can be taken), and an
/// in-place operation the model applies later to the same tensor shows in them; with <c>copyTaps</c> they are
/// copies made as the call saw them.
/// </summary>
/// <param name="Name">The dotted module path from the root, as <c>named_modules()</c> gives it (<c>features.0</c>).</param>
/// <param name="TypeName">The submodule's class name, as <c>type(module).__name__</c> gives it (<c>Conv2d</c>).</param>
/// <param name="Input">The call's first argument, or null when it is not a tensor (see <see cref="SkipReason"/>).</param>
/// <param name="Output">The call's result, the first element of a tuple result, or null when it is no tensor (see <see cref="SkipReason"/>).</param>
internal sealed record ScriptTap(string Name, string TypeName, torch.Tensor? Input, torch.Tensor? Output)
{
    /// <summary>The dotted module path.</summary>
    public string Name { get; init; } = Name ?? throw new ArgumentNullException(nameof(Name));

    /// <summary>The submodule's class name.</summary>
    public string TypeName { get; init; } = TypeName ?? throw new ArgumentNullException(nameof(TypeName));

    /// <summary>
    /// Why <see cref="Input"/> or <see cref="Output"/> is null, or holds only the first of several values (a call
    /// with several arguments, a tuple result such as MultiheadAttention's (Tensor, None)); null when the call took
    /// one tensor and returned one tensor.
    /// </summary>
    public string? SkipReason { get; init; }
}
