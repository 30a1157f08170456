using System.Text.Json.Serialization;
using EquivarianceRegularizer.Reports;

namespace EquivarianceRegularizer.Audit.Reports;

/// <summary>
/// The machine-readable report. Stable keys: verdict, end_to_end{mean_abs,max_abs,mean_rel,max_rel,…},
/// layers[]{name,type,max_rel,verdict,…}, first_failing_layer, diagnoses[]{kind,location,severity,fix,evidence}.
/// NaN and infinity are written as null. The document's records below list every key in order (snake_case from the
/// property names, <see cref="ReportJson"/>); a new key is a new property.
/// </summary>
internal static class JsonReport
{
    /// <summary>Renders the report as indented JSON.</summary>
    public static string Render(AuditReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return ReportJson.Serialize(new Document(
            ReportText.Verdict(r.Verdict), r.Model, r.Transform, r.Group, r.SymmetryType, r.DType.ToString().ToLowerInvariant(),
            r.EvaluationMode, r.Seed,
            new ThresholdsJson(r.Thresholds.Perfect, r.Thresholds.Excellent, r.Thresholds.Approximate),
            r.EndToEnd is { } e
                ? new EndToEndJson(e.Absolute.Mean, e.Absolute.Max, e.Relative.Mean, e.Relative.Max, e.Relative.Min, e.Relative.Std,
                    e.Samples, e.Elements, e.ElementSource, e.IdentityRelativeError, e.NonFinite, ReportText.Result(e.Grade),
                    new WorstJson(e.Worst.Sample, e.Worst.Element, e.Worst.Relative))
                : null,
            r.Baseline is { } b ? new BaselineJson(b.MeanRelative, b.MaxRelative, b.Mask) : null,
            r.Precision is { } p ? new PrecisionJson(p.Float64MaxRelative, p.Collapsed) : null,
            r.Layers.Select(l => new LayerJson(
                l.Name, l.TypeName, l.OwnMaxRelative, l.OwnMeanRelative, l.CumulativeMaxRelative, l.ActivationNorm, l.GradientNorm,
                l.VerdictText, l.Tested, l.IsContainer,
                l.IsContainer ? l.BreaksInOwnCode : null, l.JudgedBy, l.SamplingGridMapped,
                l.NotTestableReason,
                l.NotTestableReason is null ? l.Method : null,
                l.NotTestableReason is null ? l.InputAction : null,
                l.NotTestableReason is null ? l.OutputAction : null)).ToArray(),
            r.FirstFailingLayer,
            r.Gradient is { } g
                ? new GradientJson(g.Judged, g.NotJudgedReason, g.Relative?.Max ?? double.NaN, g.Relative?.Mean ?? double.NaN,
                    g.MedianGradientNorm, g.Floor, g.Grade is { } gg ? ReportText.Result(gg) : "NOT_JUDGED")
                : null,
            r.Diagnoses.Select(d => new DiagnosisJson(ReportText.Kind(d.Kind), d.Location, d.Severity.ToString().ToLowerInvariant(), d.Fix, d.Evidence)).ToArray(),
            r.RandomInit is { } ri ? new RandomInitJson(ri.MaxRelative, ri.MeanRelative, ri.Ratio) : null,
            r.Reasons, r.Recommendations, r.Notes, r.Seconds,
            r.Timings.Select(t => new TimingJson(t.Phase, t.Seconds)).ToArray()));
    }

    private sealed record Document(
        string Verdict, string Model, string Transform, string Group, string SymmetryType, string Dtype, string Mode, ulong Seed,
        ThresholdsJson Thresholds,
        EndToEndJson? EndToEnd,
        [property: JsonPropertyName("interpolation_baseline"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BaselineJson? Baseline,
        [property: JsonPropertyName("float64_rerun"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PrecisionJson? Precision,
        LayerJson[] Layers,
        string? FirstFailingLayer,
        GradientJson? Gradient,
        DiagnosisJson[] Diagnoses,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RandomInitJson? RandomInit,
        IReadOnlyList<string> Reasons, IReadOnlyList<string> Recommendations, IReadOnlyList<string> Notes, double Seconds,
        TimingJson[] Timings);

    private sealed record ThresholdsJson(double Perfect, double Excellent, double Approximate);

    private sealed record EndToEndJson(
        double MeanAbs, double MaxAbs, double MeanRel, double MaxRel, double MinRel, double StdRel, int Samples, int Elements,
        string ElementSource, double IdentityRel, bool NonFinite, string Result, WorstJson Worst);

    private sealed record WorstJson(int Sample, string Element, double Rel);

    private sealed record BaselineJson(double MeanRel, double MaxRel, string Mask);

    private sealed record PrecisionJson(double MaxRel, bool Collapsed);

    private sealed record LayerJson(
        string Name, string Type, double MaxRel, double MeanRel, double CumulativeMaxRel, double ActivationNorm, double GradientNorm,
        string Verdict, bool Tested, bool Container,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? BreaksInOwnCode,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? JudgedBy,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? SamplingGridMapped,
        [property: JsonPropertyName("not_tested_reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NotTestableReason,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Method,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? InputAction,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OutputAction);

    private sealed record GradientJson(
        bool Judged, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NotJudgedReason,
        double MaxRel, double MeanRel, double MedianGradNorm, double Floor, string Result);

    private sealed record DiagnosisJson(string Kind, string Location, string Severity, string Fix, string Evidence);

    private sealed record RandomInitJson(double MaxRel, double MeanRel, double Ratio);

    private sealed record TimingJson(string Phase, double Seconds);
}
