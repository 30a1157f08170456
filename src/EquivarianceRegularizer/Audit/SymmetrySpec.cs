using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// How a group element acts on one tensor: by a transform (sharing the drawn element), trivially (the tensor
/// is invariant), or not at all (the tensor cannot be tested, with the reason).
/// </summary>
public sealed class TensorAction
{
    private TensorAction(ITransform? transform, bool invariant, string? notTestableReason)
    {
        Transform = transform;
        IsInvariant = invariant;
        NotTestableReason = notTestableReason;
    }

    /// <summary>The transform acting, or null for the trivial action or an untestable tensor.</summary>
    public ITransform? Transform { get; }

    /// <summary>True when the group acts trivially (the tensor should not change).</summary>
    public bool IsInvariant { get; }

    /// <summary>Why the tensor cannot be tested, or null when it can.</summary>
    public string? NotTestableReason { get; }

    /// <summary>The group acts through <paramref name="transform"/>.</summary>
    public static TensorAction By(ITransform transform) => new(transform ?? throw new ArgumentNullException(nameof(transform)), false, null);

    /// <summary>The group acts trivially.</summary>
    public static TensorAction Invariant { get; } = new(null, true, null);

    /// <summary>The tensor cannot be tested; <paramref name="reason"/> says why (it appears in the report).</summary>
    public static TensorAction NotTestable(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(null, false, reason);
    }

    /// <summary>Applies the action with shared elements; the result is a new tensor.</summary>
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (NotTestableReason is not null) throw new InvalidOperationException("Not testable: " + NotTestableReason);
        if (IsInvariant) return x.view(x.shape);
        return Transform!.Apply(x, elements);
    }

    /// <summary>"invariant", the transform's name, or "not testable".</summary>
    public override string ToString() => IsInvariant ? "invariant" : Transform?.Name ?? "not testable";
}

/// <summary>
/// What the model should respect: an input transform and the matching action on outputs (a transform of the
/// same group, or invariance).
/// </summary>
public sealed class SymmetrySpec
{
    private SymmetrySpec(ITransform input, TensorAction output)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (output.Transform is { } o && o.Group != input.Group)
            throw new ArgumentException($"The output transform {o.Name} acts by {o.Group} but the input transform {input.Name} acts by {input.Group}; they must share the group so that one drawn element drives both.", nameof(output));
        if (output.NotTestableReason is not null) throw new ArgumentException("The output action must be a transform or invariance.", nameof(output));
        Input = input;
        Output = output;
    }

    /// <summary>The action on model inputs.</summary>
    public ITransform Input { get; }

    /// <summary>The action on model outputs.</summary>
    public TensorAction Output { get; }

    /// <summary>True when outputs should not change.</summary>
    public bool IsInvariant => Output.IsInvariant;

    /// <summary>f(T x) = f(x).</summary>
    public static SymmetrySpec Invariant(ITransform input) => new(input, TensorAction.Invariant);

    /// <summary>f(T x) = T'(f(x)); T' defaults to T itself.</summary>
    public static SymmetrySpec Equivariant(ITransform input, ITransform? output = null) => new(input, TensorAction.By(output ?? input));

    /// <summary>A short description, e.g. "rot90 (C4), invariant".</summary>
    public override string ToString() => $"{Input.Name} ({Input.Group}), " + (IsInvariant ? "invariant" : $"equivariant (output: {Output.Transform!.Name})");
}

/// <summary>Per-layer actions that replace the default (the input transform where the tensor's rank allows).</summary>
/// <param name="Input">Action on the layer's input.</param>
/// <param name="Output">Action on the layer's output.</param>
public sealed record LayerActionOverride(TensorAction Input, TensorAction Output);

/// <summary>In which mode the model is evaluated.</summary>
public enum EvaluationMode
{
    /// <summary>eval(): BatchNorm uses running statistics, Dropout is off (the default).</summary>
    Eval,
    /// <summary>train(): to audit training-time behaviour (batch statistics, dropout).</summary>
    Train,
    /// <summary>Leave the model in whatever mode it is in.</summary>
    AsIs,
}
