using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// What the model should respect: an input transform and the matching action on outputs (a transform of the
/// same group, or invariance).
/// </summary>
public sealed class SymmetrySpec
{
    private SymmetrySpec(IGroupTransform input, TensorAction output)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (output.Transform is { } o && o.Group != input.Group)
            throw new ArgumentException($"The output transform {o.Name} acts by {o.Group} but the input transform {input.Name} acts by {input.Group}; they must share the group so that one drawn element drives both.", nameof(output));
        if (output.NotTestableReason is not null) throw new ArgumentException("The output action must be a transform or invariance.", nameof(output));
        Input = input;
        Output = output;
    }

    /// <summary>The action on model inputs.</summary>
    public IGroupTransform Input { get; }

    /// <summary>The action on model outputs.</summary>
    public TensorAction Output { get; }

    /// <summary>True when outputs should not change.</summary>
    public bool IsInvariant => Output.IsInvariant;

    /// <summary>f(T x) = f(x).</summary>
    public static SymmetrySpec Invariant(IGroupTransform input) => new(input, TensorAction.Invariant);

    /// <summary>f(T x) = T'(f(x)); T' defaults to T itself.</summary>
    public static SymmetrySpec Equivariant(IGroupTransform input, IGroupTransform? output = null) => new(input, TensorAction.By(output ?? input));

    /// <summary>A short description, e.g. "rot90 (C4), invariant".</summary>
    public override string ToString() => $"{Input.Name} ({Input.Group}), " + (IsInvariant ? "invariant" : $"equivariant (output: {Output.Transform!.Name})");
}
