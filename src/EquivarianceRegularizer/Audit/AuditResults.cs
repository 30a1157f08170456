
namespace EquivarianceRegularizer.Audit;

/// <summary>Summary statistics of a list of errors (non-finite values are counted, not averaged).</summary>
/// <param name="Min">Smallest finite value.</param>
/// <param name="Mean">Mean of finite values.</param>
/// <param name="Max">Largest value (infinity when any value is not finite).</param>
/// <param name="Std">Standard deviation of finite values.</param>
/// <param name="Count">Number of values.</param>
/// <param name="NonFinite">Number of NaN or infinite values.</param>
public sealed record ErrorStats(double Min, double Mean, double Max, double Std, int Count, int NonFinite)
{
    /// <summary>Statistics of <paramref name="values"/>.</summary>
    public static ErrorStats Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToArray();
        int bad = values.Count - finite.Length;
        if (finite.Length == 0) return new(double.NaN, double.NaN, double.PositiveInfinity, double.NaN, values.Count, bad);
        double mean = finite.Average();
        double std = finite.Length > 1 ? Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1)) : 0;
        return new(finite.Min(), mean, bad > 0 ? double.PositiveInfinity : finite.Max(), std, values.Count, bad);
    }
}

/// <summary>The error of one sample under one group element.</summary>
/// <param name="Sample">Index of the input sample.</param>
/// <param name="Element">The group element, described.</param>
/// <param name="Absolute">‖f(Tx) − T'f(x)‖₂ over the sample's output.</param>
/// <param name="Relative">Absolute error divided by ‖T'f(x)‖₂.</param>
public sealed record SampleError(int Sample, string Element, double Absolute, double Relative);

/// <summary>A spatial error map: mean |error| per pixel over samples, channels and elements.</summary>
/// <param name="Where">The tensor it was measured on (e.g. "model output" or a layer name).</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Values">Row-major values.</param>
public sealed record SpatialErrorMap(string Where, int Height, int Width, double[] Values)
{
    /// <summary>
    /// The largest ratio, over the four sides, of the mean of a side band of width <paramref name="band"/> to the mean
    /// of the interior (∞ when the interior is exact). Sides are taken apart because a shift along one axis
    /// only disturbs the two sides across that axis.
    /// </summary>
    public double BorderToInteriorRatio(int band)
    {
        if (Height <= 2 * band || Width <= 2 * band) return double.NaN;
        double interior = 0;
        int ni = 0;
        var sides = new double[4];
        var counts = new int[4];
        for (int i = 0; i < Height; i++)
        for (int j = 0; j < Width; j++)
        {
            double v = Values[i * Width + j];
            bool any = false;
            if (i < band) { sides[0] += v; counts[0]++; any = true; }
            if (i >= Height - band) { sides[1] += v; counts[1]++; any = true; }
            if (j < band) { sides[2] += v; counts[2]++; any = true; }
            if (j >= Width - band) { sides[3] += v; counts[3]++; any = true; }
            if (!any) { interior += v; ni++; }
        }
        double worst = Enumerable.Range(0, 4).Max(k => sides[k] / counts[k]);
        interior /= ni;
        if (interior == 0) return worst > 0 ? double.PositiveInfinity : double.NaN;
        return worst / interior;
    }

    /// <summary>Largest value.</summary>
    public double Max => Values.Length == 0 ? 0 : Values.Max();
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

/// <summary>The end-to-end test: f(T x) against T' f(x) over samples and group elements.</summary>
public sealed class EndToEndResult
{
    /// <summary>Number of input samples.</summary>
    public required int Samples { get; init; }

    /// <summary>Number of group elements tested per sample.</summary>
    public required int Elements { get; init; }

    /// <summary>How elements were chosen ("all 3 non-identity elements of C4", "4 Haar-random draws per sample", …).</summary>
    public required string ElementSource { get; init; }

    /// <summary>Relative error of the identity element (or of a repeated forward when the group has no enumerable identity).</summary>
    public required double IdentityRelativeError { get; init; }

    /// <summary>What the identity check compared.</summary>
    public required string IdentityCheck { get; init; }

    /// <summary>Absolute errors.</summary>
    public required ErrorStats Absolute { get; init; }

    /// <summary>Relative errors.</summary>
    public required ErrorStats Relative { get; init; }

    /// <summary>The sample and element with the largest relative error.</summary>
    public required SampleError Worst { get; init; }

    /// <summary>Every relative error (sample-major within element), for the distribution plot.</summary>
    public required IReadOnlyList<double> RelativeErrors { get; init; }

    /// <summary>Mean output norm ‖f(x)‖ (zero means the test is vacuous).</summary>
    public required double MeanOutputNorm { get; init; }

    /// <summary>True when any output was NaN or infinite.</summary>
    public required bool NonFinite { get; init; }

    /// <summary>Spatial map of the output error when outputs are feature maps.</summary>
    public SpatialErrorMap? ErrorMap { get; init; }

    /// <summary>The grade of the largest relative error.</summary>
    public required ErrorGrade Grade { get; init; }
}

/// <summary>One layer of the layer-wise isolation.</summary>
public sealed class LayerResult
{
    /// <summary>Dotted name.</summary>
    public required string Name { get; init; }

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

    /// <summary>"PASS", "NEEDS_ATTENTION", "FAIL" or "NOT_TESTED".</summary>
    public string VerdictText => Grade is { } g ? Reports.ReportText.Verdict(Thresholds.VerdictOf(g)) : "NOT_TESTED";
}

/// <summary>The gradient test: ∇(ℓ∘f)(T x) against T ∇(ℓ∘f)(x) for ℓ = ½‖·‖² (invariant under orthogonal output actions).</summary>
public sealed class GradientResult
{
    /// <summary>Whether the test was judged.</summary>
    public required bool Judged { get; init; }

    /// <summary>False when the test does not apply (interpolating transforms); such a result does not affect the verdict.</summary>
    public bool Applicable { get; init; } = true;

    /// <summary>Why not, when not judged.</summary>
    public string? NotJudgedReason { get; init; }

    /// <summary>Relative errors (present when computed).</summary>
    public ErrorStats? Relative { get; init; }

    /// <summary>Median per-sample input-gradient norm.</summary>
    public double MedianGradientNorm { get; init; } = double.NaN;

    /// <summary>The floor below which gradients are rounding noise.</summary>
    public double Floor { get; init; } = double.NaN;

    /// <summary>Grade when judged.</summary>
    public ErrorGrade? Grade { get; init; }
}

/// <summary>Kinds of diagnosis (the JSON "kind" is the snake_case form).</summary>
public enum DiagnosisKind
{
    /// <summary>Layers behave differently in train mode (BatchNorm batch statistics, Dropout).</summary>
    TrainMode,
    /// <summary>A nonlinearity that does not commute with the group action on its features.</summary>
    Nonlinearity,
    /// <summary>A normalization over axes the group mixes.</summary>
    Normalization,
    /// <summary>The declared output action does not match what the model outputs.</summary>
    OutputTransform,
    /// <summary>Error from floating-point rounding only.</summary>
    Precision,
    /// <summary>A bug isolated to one (custom) module.</summary>
    CustomLayer,
    /// <summary>Error concentrated at the borders (padding).</summary>
    Boundary,
    /// <summary>Stride, pooling or odd/even sizes that break the symmetry of the sampling grid.</summary>
    Downsampling,
    /// <summary>NaN or infinite values.</summary>
    NonFinite,
}

/// <summary>How serious a diagnosis is.</summary>
public enum Severity
{
    /// <summary>Informational.</summary>
    Low,
    /// <summary>Should be looked at.</summary>
    Medium,
    /// <summary>Breaks equivariance.</summary>
    High,
}

/// <summary>A diagnosis drawn from the measurements: where, how bad, what shows it, and a concrete fix.</summary>
/// <param name="Kind">The failure mode.</param>
/// <param name="Location">Layer name or component.</param>
/// <param name="Severity">Severity.</param>
/// <param name="Evidence">The measurement that supports it.</param>
/// <param name="Fix">A concrete fix.</param>
public sealed record Diagnosis(DiagnosisKind Kind, string Location, Severity Severity, string Evidence, string Fix);

/// <summary>The end-to-end error of the same architecture freshly initialised.</summary>
/// <param name="MaxRelative">Largest relative error of the fresh model.</param>
/// <param name="MeanRelative">Mean relative error of the fresh model.</param>
/// <param name="Ratio">Trained max error divided by fresh max error (below 1: training made the model more equivariant).</param>
public sealed record RandomInitBaseline(double MaxRelative, double MeanRelative, double Ratio);

/// <summary>Wall-clock seconds of one phase of an audit.</summary>
/// <param name="Phase">end_to_end, gradient or layers.</param>
/// <param name="Seconds">Seconds.</param>
public sealed record PhaseTiming(string Phase, double Seconds);

/// <summary>A per-layer Lie-derivative error for the cumulative LEE plot.</summary>
/// <param name="Layer">Layer name.</param>
/// <param name="Lee">The layer's LEE contribution.</param>
public sealed record LieLayerError(string Layer, double Lee)
{
    /// <summary>The per-layer contributions of a layer-wise Lie-derivative measurement, in order.</summary>
    public static IReadOnlyList<LieLayerError> From(Lie.LayerwiseLeeReport lee)
    {
        ArgumentNullException.ThrowIfNull(lee);
        return lee.Layers.Select(l => new LieLayerError(l.Name, l.Lee)).ToList();
    }
}

/// <summary>Everything an audit measured, what it concluded and why. Renderers live in <see cref="Reports"/>.</summary>
public sealed class AuditReport
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

    /// <summary>Seconds per phase: end_to_end (with identity check, float64 re-run and baseline), gradient, layers.</summary>
    public IReadOnlyList<PhaseTiming> Timings { get; init; } = Array.Empty<PhaseTiming>();

    /// <summary>Optional per-layer Lie-derivative errors (from the Lie module) for the cumulative LEE plot.</summary>
    public IReadOnlyList<LieLayerError>? LieLayerErrors { get; set; }

    /// <summary>One line: verdict, error and first failing layer.</summary>
    public string Summary =>
        $"{Reports.ReportText.Verdict(Verdict)}: {Model} under {Transform} ({SymmetryType.ToLowerInvariant()}), " +
        (EndToEnd is { } e ? $"max relative error {e.Relative.Max:0.###e+0} (mean {e.Relative.Mean:0.###e+0}) over {e.Samples} samples × {e.Elements} elements" : "end-to-end test not run") +
        (FirstFailingLayer is { } f ? $"; first failing layer: {f}" : "") +
        (Reasons.Count > 0 ? "; " + string.Join("; ", Reasons) : "");
}
