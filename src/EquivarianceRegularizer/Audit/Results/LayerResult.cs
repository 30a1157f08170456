
namespace EquivarianceRegularizer.Audit;

/// <summary>One layer of the layer-wise isolation.</summary>
public sealed class LayerResult
{
    /// <summary>Dotted name, with control and bidirectional characters shown as escapes (it reaches every report).</summary>
    public required string Name { get; init => field = EquivarianceRegularizer.Reports.ReportFormat.Printable(value); }

    /// <summary>Type name.</summary>
    public required string TypeName { get; init; }

    /// <summary>True for modules with children.</summary>
    public bool IsContainer { get; init; }

    /// <summary>Why the layer could not be tested, or null when it was.</summary>
    public string? NotTestableReason { get; init; }

    /// <summary>True when tested.</summary>
    public bool Tested => NotTestableReason is null;

    /// <summary>The action used on the layer's input.</summary>
    public string InputAction { get; init; } = "";

    /// <summary>The action used on the layer's output.</summary>
    public string OutputAction { get; init; } = "";

    /// <summary>"isolated" (layer run alone on T(input)) or "taps" (estimated from captured activations).</summary>
    public string Method { get; init; } = "";

    /// <summary>Shape of the input (per sample).</summary>
    public long[] InputShape { get; init; } = Array.Empty<long>();

    /// <summary>Shape of the output (per sample).</summary>
    public long[] OutputShape { get; init; } = Array.Empty<long>();

    /// <summary>The layer's own largest relative error ‖L(ρ u) − ρ' L(u)‖ / max(‖ρ' L(u)‖, ε^{1/3}‖ρ u‖) (the floor keeps outputs that cancel to zero from turning rounding into error).</summary>
    public double OwnMaxRelative { get; init; } = double.NaN;

    /// <summary>The layer's own mean relative error.</summary>
    public double OwnMeanRelative { get; init; } = double.NaN;

    /// <summary>Largest relative error of this layer's output along the whole model (input transformed, not the layer's).</summary>
    public double CumulativeMaxRelative { get; init; } = double.NaN;

    /// <summary>Mean per-sample ‖output‖.</summary>
    public double ActivationNorm { get; init; } = double.NaN;

    /// <summary>Mean per-sample ‖∂L/∂output‖ of the gradient test's scalar loss (NaN when not computed).</summary>
    public double GradientNorm { get; init; } = double.NaN;

    /// <summary>True when the output was NaN or infinite.</summary>
    public bool NonFinite { get; init; }

    /// <summary>For interpolating transforms, the largest round-trip error of the transform on this layer's tensors (NaN otherwise).</summary>
    public double InterpolationBaseline { get; init; } = double.NaN;

    /// <summary>Grade of <see cref="OwnMaxRelative"/>, judged against <see cref="InterpolationBaseline"/> when there is one (null when not tested).</summary>
    public ErrorGrade? Grade { get; init; }

    /// <summary>Spatial map of the layer's own error when its output is a feature map.</summary>
    public SpatialErrorMap? ErrorMap { get; init; }

    /// <summary>
    /// For a module with children: true when its own forward code breaks the symmetry — it fails alone while every
    /// tested module inside it passes — so that it can be the first failing layer (a head that flattens, then applies
    /// a Linear). False for leaves and for containers whose failure comes from inside.
    /// </summary>
    public bool BreaksInOwnCode { get; init; }

    /// <summary>For a pure composition (Sequential) judged by its modules: the module inside with the worst own error; null otherwise.</summary>
    public string? JudgedBy { get; init; }

    /// <summary>True when the layer counts on its own for the first failing layer and the diagnoses: a leaf, or a container whose own code breaks the symmetry.</summary>
    public bool BreaksAlone => (!IsContainer || BreaksInOwnCode) && Grade is { } g && g >= ErrorGrade.Approximate;

    /// <summary>A copy with the given judgement changed (the layer phase's container pass).</summary>
    internal LayerResult With(ErrorGrade? grade = null, double? ownMax = null, double? ownMean = null, string? judgedBy = null, bool? breaksInOwnCode = null, string? notTestable = null) => new()
    {
        Name = Name, TypeName = TypeName, IsContainer = IsContainer, NotTestableReason = notTestable ?? NotTestableReason,
        InputAction = InputAction, OutputAction = OutputAction, Method = notTestable is null ? Method : "", InputShape = InputShape, OutputShape = OutputShape,
        OwnMaxRelative = ownMax ?? OwnMaxRelative, OwnMeanRelative = ownMean ?? OwnMeanRelative, CumulativeMaxRelative = CumulativeMaxRelative,
        ActivationNorm = ActivationNorm, GradientNorm = GradientNorm, NonFinite = NonFinite, InterpolationBaseline = InterpolationBaseline,
        Grade = notTestable is null ? grade ?? Grade : null, ErrorMap = ErrorMap, JudgedBy = judgedBy ?? JudgedBy, BreaksInOwnCode = breaksInOwnCode ?? BreaksInOwnCode,
        SamplingGridMapped = SamplingGridMapped,
    };

    /// <summary>
    /// For a layer that changes the spatial size: whether the group maps its sampling grid (stride, pooling window,
    /// padding) to itself, measured from which input pixels its first and last outputs depend on; null when not measured.
    /// </summary>
    public bool? SamplingGridMapped { get; init; }

    /// <summary>"PASS", "NEEDS_ATTENTION", "FAIL" or "NOT_TESTED".</summary>
    public string VerdictText => Grade is { } g ? Thresholds.VerdictOf(g).Label() : "NOT_TESTED";
}
