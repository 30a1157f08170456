
namespace EquivarianceRegularizer.Audit;

/// <summary>
/// Everything an audit measured, what it concluded and why, and its four renderings (<see cref="ToText"/>,
/// <see cref="ToJson"/>, <see cref="ToMarkdown"/>, <see cref="ToHtml"/>: the ones <c>eqv audit</c> writes).
/// </summary>
public sealed record AuditReport
{
    /// <summary>Model description.</summary>
    public required string Model { get; init; }

    /// <summary>The transform's name.</summary>
    public required string Transform { get; init; }

    /// <summary>The group.</summary>
    public required string Group { get; init; }

    /// <summary>"Invariant" or "Equivariant (output: …)".</summary>
    public required string SymmetryType { get; init; }

    /// <summary>Dtype the model ran in.</summary>
    public required ScalarType DType { get; init; }

    /// <summary>"eval", "train" or "as-is (train|eval)".</summary>
    public required string EvaluationMode { get; init; }

    /// <summary>Whether the model was in training mode when handed over.</summary>
    public required bool ModelWasTraining { get; init; }

    /// <summary>Seed.</summary>
    public required ulong Seed { get; init; }

    /// <summary>The thresholds used.</summary>
    public required Thresholds Thresholds { get; init; }

    /// <summary>End-to-end test (null when it could not run; see diagnoses).</summary>
    public EndToEndResult? EndToEnd { get; init; }

    /// <summary>Interpolation baseline for transforms that are not exact on the grid.</summary>
    public InterpolationBaseline? Baseline { get; init; }

    /// <summary>The float64 re-run, when performed.</summary>
    public PrecisionCheck? Precision { get; init; }

    /// <summary>Layer-wise results in execution order, then layers never called.</summary>
    public IReadOnlyList<LayerResult> Layers { get; init; } = Array.Empty<LayerResult>();

    /// <summary>The first layer (in execution order) whose own error is above the excellent band.</summary>
    public string? FirstFailingLayer { get; init; }

    /// <summary>The gradient test, when run.</summary>
    public GradientResult? Gradient { get; init; }

    /// <summary>Diagnoses, most severe first.</summary>
    public IReadOnlyList<Diagnosis> Diagnoses { get; init; } = Array.Empty<Diagnosis>();

    /// <summary>The verdict.</summary>
    public required Verdict Verdict { get; init; }

    /// <summary>The reasons that produced the verdict.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>Recommendations (the fixes of the diagnoses, plus general advice).</summary>
    public IReadOnlyList<string> Recommendations { get; init; } = Array.Empty<string>();

    /// <summary>The random-init baseline, when requested.</summary>
    public RandomInitBaseline? RandomInit { get; init; }

    /// <summary>Notes on how the audit ran (mode, masks, what was enumerated).</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>Seconds the audit took.</summary>
    public double Seconds { get; init; }

    /// <summary>Seconds per phase, in order: end_to_end (with identity check, float64 re-run and baseline), gradient, layers.</summary>
    public IReadOnlyList<(string Phase, double Seconds)> Timings { get; init; } = Array.Empty<(string, double)>();

    /// <summary>
    /// Each layer's Lie-derivative error (its row of <see cref="Lie.ModelLieAttribution"/>, in order) for the cumulative
    /// LEE plot, measured when <see cref="AuditOptions.LeeTransform"/> is set.
    /// </summary>
    public IReadOnlyList<(string Layer, double Lee)>? LieLayerErrors { get; init; }

    /// <summary>Why the requested layer-wise LEE could not be measured (null when it was, or was not requested). Not part of the rendered reports.</summary>
    public string? LieNote { get; init; }

    /// <summary>One line: verdict, error and first failing layer.</summary>
    public string Summary =>
        $"{Verdict.Label()}: {Model} under {Transform} ({SymmetryType.ToLowerInvariant()}), " +
        (EndToEnd is { } e ? $"max relative error {e.Relative.Max:0.###e+0} (mean {e.Relative.Mean:0.###e+0}) over {e.Samples} samples × {e.Elements} elements" : "end-to-end test not run") +
        (FirstFailingLayer is { } f ? $"; first failing layer: {f}" : "") +
        (Reasons.Count > 0 ? "; " + string.Join("; ", Reasons) : "");

    /// <summary>The plain-text report (what <c>eqv audit</c> prints).</summary>
    public string ToText() => Reports.ReportText.Render(this);

    /// <summary>The JSON report (snake_case keys, the schema <c>eqv audit --json</c> writes).</summary>
    public string ToJson() => Reports.JsonReport.Render(this);

    /// <summary>The Markdown report.</summary>
    public string ToMarkdown() => Reports.MarkdownReport.Render(this);

    /// <summary>The HTML report: one offline page, inline SVG, no scripts.</summary>
    public string ToHtml() => Reports.HtmlReport.Render(this);
}

/// <summary>The error of transforming an input there and back with an interpolating transform.</summary>
/// <param name="MeanRelative">Mean relative round-trip error.</param>
/// <param name="MaxRelative">Largest relative round-trip error.</param>
/// <param name="Mask">The validity mask the errors were measured in.</param>
public sealed record InterpolationBaseline(double MeanRelative, double MaxRelative, string Mask);

/// <summary>The float64 re-run that separates precision problems from real ones.</summary>
/// <param name="ModelDTypeMaxRelative">Largest relative error in the model's dtype.</param>
/// <param name="Float64MaxRelative">Largest relative error with the model converted to float64.</param>
/// <param name="Collapsed">True when float64 shrinks the error by the collapse factor and below the model dtype's perfect band: a precision problem.</param>
public sealed record PrecisionCheck(double ModelDTypeMaxRelative, double Float64MaxRelative, bool Collapsed);

/// <summary>The end-to-end error of the same architecture freshly initialised.</summary>
/// <param name="MaxRelative">Largest relative error of the fresh model.</param>
/// <param name="MeanRelative">Mean relative error of the fresh model.</param>
/// <param name="Ratio">Trained max error divided by fresh max error (below 1: training made the model more equivariant).</param>
public sealed record RandomInitBaseline(double MaxRelative, double MeanRelative, double Ratio);
