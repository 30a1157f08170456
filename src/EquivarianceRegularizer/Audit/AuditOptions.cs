using EquivarianceRegularizer.Sampling;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// Settings of an audit. Every field has a default, and the defaults are the same wherever an audit runs —
/// <see cref="Auditor.Audit(ObservedModel, Symmetry, AuditOptions)"/>, <c>EquivarianceAssert</c> and
/// <c>eqv audit</c> — so one model with one set of options gets one verdict: end to end over every element (or
/// <see cref="RandomDraws"/> draws), the interpolation baseline, the float64 re-run and the layer-wise isolation
/// run by default; the gradient test, the random-init baseline and the layer-wise LEE run when asked for.
/// </summary>
public sealed record AuditOptions
{
    /// <summary>The defaults (an <c>InputShape</c> or <c>Inputs</c> must still be given).</summary>
    public static AuditOptions Default { get; } = new();

    /// <summary>Number of input samples (ignored counts beyond the given data's batch).</summary>
    public int Samples { get; init; } = 32;

    /// <summary>Seed of the generator for inputs and group elements.</summary>
    public ulong Seed { get; init; }

    /// <summary>Dtype to run the model in; null keeps the model's own dtype.</summary>
    public ScalarType? DType { get; init; }

    /// <summary>Shape of one input sample (without the batch axis); required unless <see cref="Inputs"/> is given.</summary>
    public long[]? InputShape { get; init; }

    /// <summary>
    /// Bounds of uniformly random inputs: a pair such as <c>(-1, 1)</c>, or per-element bounds (the regularizer's
    /// <see cref="Sampling.Bounds"/>). Default [0, 1].
    /// </summary>
    public Bounds Bounds { get; init; } = Bounds.UnitCube;

    /// <summary>Given inputs (batch first); used instead of random ones. Not disposed by the auditor.</summary>
    public Tensor? Inputs { get; init; }

    /// <summary>Thresholds; null picks <see cref="Thresholds.For"/> of the model's dtype.</summary>
    public Thresholds? Thresholds { get; init; }

    /// <summary>Mode in which the model is evaluated (eval by default; the report says which).</summary>
    public EvaluationMode Mode { get; init; } = EvaluationMode.Eval;

    /// <summary>Run the layer-wise isolation (on by default: it names the first failing layer).</summary>
    public bool Layers { get; init; } = true;

    /// <summary>Run the gradient test (off by default: it costs a double backward per element; <c>eqv audit --gradient</c>).</summary>
    public bool Gradient { get; init; }

    /// <summary>Re-run in float64 when the error is above the excellent band, to tell precision from bugs.</summary>
    public bool PrecisionCheck { get; init; } = true;

    /// <summary>Number of random draws (of <see cref="Samples"/> elements each) for groups that cannot be enumerated.</summary>
    public int RandomDraws { get; init; } = 4;

    /// <summary>Most group elements used for the layer-wise and gradient tests (the worst end-to-end element is always among them).</summary>
    public int MaxLayerElements { get; init; } = 8;

    /// <summary>Most samples used for the layer-wise and gradient tests.</summary>
    public int MaxLayerSamples { get; init; } = 32;

    /// <summary>The layers the layer-wise isolation tests and reports (every layer by default); the others are neither run alone nor compared.</summary>
    public LayerSelection LayerSelection { get; init; } = LayerSelection.All;

    /// <summary>Per-layer action overrides by dotted layer name.</summary>
    public IReadOnlyDictionary<string, LayerActionOverride> LayerActions { get; init; } = new Dictionary<string, LayerActionOverride>();

    /// <summary>Also audit the same architecture freshly initialised (parameters redrawn), to compare.</summary>
    public bool RandomInitBaseline { get; init; }

    /// <summary>
    /// Also measure the layer-wise Lie-derivative error along this continuous transform (for the cumulative LEE plot;
    /// <c>eqv audit --lee</c>). It runs after the audit on the model as handed over, in eval mode; the result is
    /// <see cref="AuditReport.LieLayerErrors"/>, or <see cref="AuditReport.LieNote"/> says why it could not be measured.
    /// </summary>
    public IContinuousTransform? LeeTransform { get; init; }

    /// <summary>
    /// Memory the audit may use, in bytes (default 2 GiB, which fits a laptop). The layer-wise isolation and the gradient
    /// test hold every layer's activations of the samples they process at once, so they take the samples in chunks sized
    /// to fit this budget, measured from one sample's activations; the report's notes say how the samples were chunked.
    /// The model's own weights and one sample's activations must fit, whatever the budget; in train mode the samples
    /// run together (batch statistics couple them), and a note says when that exceeds the budget.
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = DefaultMemoryBudgetBytes;

    /// <summary>Fixes the samples per chunk of the layer-wise and gradient tests instead of sizing chunks to the budget (tests).</summary>
    internal long? SamplesPerChunk { get; init; }

    /// <summary>The default <see cref="MemoryBudgetBytes"/>: 2 GiB.</summary>
    public const long DefaultMemoryBudgetBytes = 2L << 30;

    /// <summary>The smallest <see cref="MemoryBudgetBytes"/> accepted: 256 MiB (the process itself, libtorch included, takes about that).</summary>
    public const long MinimumMemoryBudgetBytes = 256L << 20;

    /// <summary>Free-form model description for the report (defaults to the model's type name).</summary>
    public string? ModelName { get; init; }

    internal void Validate()
    {
        if (Samples < 1) throw new ArgumentOutOfRangeException(nameof(Samples), Samples, "An audit needs at least one sample.");
        if (RandomDraws < 1) throw new ArgumentOutOfRangeException(nameof(RandomDraws), RandomDraws, "Needs at least one draw.");
        if (MaxLayerElements < 1) throw new ArgumentOutOfRangeException(nameof(MaxLayerElements), MaxLayerElements, "Needs at least one element.");
        if (MemoryBudgetBytes < MinimumMemoryBudgetBytes)
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), MemoryBudgetBytes, $"The memory budget must be at least {MinimumMemoryBudgetBytes >> 20} MiB (the process itself takes about that); raise it.");
        if (MaxLayerSamples < 1) throw new ArgumentOutOfRangeException(nameof(MaxLayerSamples), MaxLayerSamples, "Needs at least one sample.");
        ArgumentNullException.ThrowIfNull(Bounds);
        if (DType is { } d && d is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"DType must be ScalarType.Float32 or ScalarType.Float64 (the dtypes the audit has thresholds for), not {d}.", nameof(DType));
        if (Inputs is null && InputShape is null) throw new ArgumentException("Give either InputShape (random inputs) or Inputs (data).", nameof(InputShape));
        if (InputShape is { } s && (s.Length == 0 || s.Any(v => v < 1)))
            throw new ArgumentException($"InputShape must be positive sizes without the batch axis (got [{string.Join(",", s)}]).", nameof(InputShape));
        if (Inputs is { } alive) ModelRunErrors.CheckAlive(alive, nameof(Inputs));
        if (InputShape is { } large && Inputs is null && large.All(v => v >= 1))
            EquivarianceRegularizer.Sampling.AllocationGuard.EnsureFits(large.Prepend(Samples).ToArray(), ScalarType.Float64, nameof(InputShape));
        if (Inputs is { } x && (x.Rank() < 1 || x.size(0) < 1)) throw new ArgumentException("Inputs must have a non-empty batch axis.", nameof(Inputs));
        if (Inputs is { } given && InputShape is { } shape && !given.shape.Skip(1).SequenceEqual(shape))
            throw new ArgumentException(
                $"InputShape [{string.Join(",", shape)}] differs from the shape of one sample of Inputs [{string.Join(",", given.shape.Skip(1))}]; " +
                "the audit runs on Inputs, so give only Inputs, or an InputShape that agrees with it.", nameof(InputShape));
        if (Inputs is { } data && data.dtype.IsFloatingPoint() && !data.all_finite())
            throw new ArgumentException("Inputs contain NaN or infinite values; equivariance cannot be judged on them (clean the data first).", nameof(Inputs));
    }

    /// <summary>Every LayerActions key must name one of the model's layers (optionally with a call suffix, "conv#2").</summary>
    internal void ValidateLayerActions(ObservedModel model)
    {
        if (LayerActions.Count == 0) return;
        var declared = model.DeclaredLayers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var key in LayerActions.Keys)
        {
            int hash = key.IndexOf('#', StringComparison.Ordinal);
            if (declared.Contains(key) || (hash > 0 && declared.Contains(key[..hash]))) continue;
            var known = declared.Order(StringComparer.Ordinal).Take(30).ToList();
            throw OptionError(
                $"LayerActions names layer '{key}', which the model does not have, so its action would be ignored. The model's layers " +
                $"(named_modules names) are: {string.Join(", ", known)}{(declared.Count > known.Count ? ", …" : "")}.", nameof(LayerActions));
        }
    }

    private static ArgumentException OptionError(string message, string option) => new(message, option);
}
