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

/// <summary>Settings of an audit. Every field has a sensible default.</summary>
public sealed record AuditOptions
{
    /// <summary>Number of input samples (ignored counts beyond the given data's batch).</summary>
    public int Samples { get; init; } = 32;

    /// <summary>Seed of the generator for inputs and group elements.</summary>
    public ulong Seed { get; init; }

    /// <summary>Dtype to run the model in; null keeps the model's own dtype.</summary>
    public ScalarType? DType { get; init; }

    /// <summary>Shape of one input sample (without the batch axis); required unless <see cref="Inputs"/> is given.</summary>
    public long[]? InputShape { get; init; }

    /// <summary>Bounds of uniformly random inputs.</summary>
    public (double Low, double High) Bounds { get; init; } = (0, 1);

    /// <summary>Given inputs (batch first); used instead of random ones. Not disposed by the auditor.</summary>
    public Tensor? Inputs { get; init; }

    /// <summary>Thresholds; null picks <see cref="Thresholds.For"/> of the model's dtype.</summary>
    public Thresholds? Thresholds { get; init; }

    /// <summary>Mode in which the model is evaluated (eval by default; the report says which).</summary>
    public EvaluationMode Mode { get; init; } = EvaluationMode.Eval;

    /// <summary>Run the layer-wise isolation.</summary>
    public bool Layers { get; init; } = true;

    /// <summary>Run the gradient test.</summary>
    public bool Gradient { get; init; } = true;

    /// <summary>Re-run in float64 when the error is above the excellent band, to tell precision from bugs.</summary>
    public bool PrecisionCheck { get; init; } = true;

    /// <summary>Number of random draws (of <see cref="Samples"/> elements each) for groups that cannot be enumerated.</summary>
    public int RandomDraws { get; init; } = 4;

    /// <summary>Most group elements used for the layer-wise and gradient tests (the worst end-to-end element is always among them).</summary>
    public int MaxLayerElements { get; init; } = 8;

    /// <summary>Most samples used for the layer-wise and gradient tests.</summary>
    public int MaxLayerSamples { get; init; } = 32;

    /// <summary>Per-layer action overrides by dotted layer name.</summary>
    public IReadOnlyDictionary<string, LayerActionOverride> LayerActions { get; init; } = new Dictionary<string, LayerActionOverride>();

    /// <summary>Also audit the same architecture freshly initialised (parameters redrawn), to compare.</summary>
    public bool RandomInitBaseline { get; init; }

    /// <summary>Free-form model description for the report (defaults to the model's type name).</summary>
    public string? ModelName { get; init; }

    internal void Validate()
    {
        if (Samples < 1) throw new ArgumentOutOfRangeException(nameof(Samples), Samples, "An audit needs at least one sample.");
        if (RandomDraws < 1) throw new ArgumentOutOfRangeException(nameof(RandomDraws), RandomDraws, "Needs at least one draw.");
        if (MaxLayerElements < 1) throw new ArgumentOutOfRangeException(nameof(MaxLayerElements), MaxLayerElements, "Needs at least one element.");
        if (MaxLayerSamples < 1) throw new ArgumentOutOfRangeException(nameof(MaxLayerSamples), MaxLayerSamples, "Needs at least one sample.");
        if (!(Bounds.Low < Bounds.High) || !double.IsFinite(Bounds.Low) || !double.IsFinite(Bounds.High))
            throw new ArgumentException($"Bounds must be finite with low < high (got {Bounds.Low}, {Bounds.High}).", nameof(Bounds));
        if (DType is { } d && !d.IsFloatingPoint()) throw new ArgumentException($"DType must be float32 or float64, not {d}.", nameof(DType));
        if (Inputs is null && InputShape is null) throw new ArgumentException("Give either InputShape (random inputs) or Inputs (data).", nameof(InputShape));
        if (InputShape is { } s && (s.Length == 0 || s.Any(v => v < 1)))
            throw new ArgumentException($"InputShape must be positive sizes without the batch axis (got [{string.Join(",", s)}]).", nameof(InputShape));
        if (Inputs is { } x && (x.Rank() < 1 || x.size(0) < 1)) throw new ArgumentException("Inputs must have a non-empty batch axis.", nameof(Inputs));
        if (Inputs is { } data && data.dtype.IsFloatingPoint() && !data.all_finite())
            throw new ArgumentException("Inputs contain NaN or infinite values; equivariance cannot be judged on them (clean the data first).", nameof(Inputs));
    }
}
