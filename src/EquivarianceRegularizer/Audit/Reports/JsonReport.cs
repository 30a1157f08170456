using System.Text;
using System.Text.Json;

namespace EquivarianceRegularizer.Audit.Reports;

/// <summary>
/// The machine-readable report. Stable keys: verdict, end_to_end{mean_abs,max_abs,mean_rel,max_rel,…},
/// layers[]{name,type,max_rel,verdict,…}, first_failing_layer, diagnoses[]{kind,location,severity,fix,evidence}.
/// NaN and infinity are written as null.
/// </summary>
public static class JsonReport
{
    /// <summary>Renders the report as indented JSON.</summary>
    public static string Render(AuditReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("verdict", ReportText.Verdict(r.Verdict));
            w.WriteString("model", r.Model);
            w.WriteString("transform", r.Transform);
            w.WriteString("group", r.Group);
            w.WriteString("symmetry_type", r.SymmetryType);
            w.WriteString("dtype", r.DType.ToString().ToLowerInvariant());
            w.WriteString("mode", r.EvaluationMode);
            w.WriteNumber("seed", r.Seed);
            w.WriteStartObject("thresholds");
            Num(w, "perfect", r.Thresholds.Perfect);
            Num(w, "excellent", r.Thresholds.Excellent);
            Num(w, "approximate", r.Thresholds.Approximate);
            w.WriteEndObject();
            if (r.EndToEnd is { } e)
            {
                w.WriteStartObject("end_to_end");
                Num(w, "mean_abs", e.Absolute.Mean);
                Num(w, "max_abs", e.Absolute.Max);
                Num(w, "mean_rel", e.Relative.Mean);
                Num(w, "max_rel", e.Relative.Max);
                Num(w, "min_rel", e.Relative.Min);
                Num(w, "std_rel", e.Relative.Std);
                w.WriteNumber("samples", e.Samples);
                w.WriteNumber("elements", e.Elements);
                w.WriteString("element_source", e.ElementSource);
                Num(w, "identity_rel", e.IdentityRelativeError);
                w.WriteBoolean("non_finite", e.NonFinite);
                w.WriteString("result", ReportText.Result(e.Grade));
                w.WriteStartObject("worst");
                w.WriteNumber("sample", e.Worst.Sample);
                w.WriteString("element", e.Worst.Element);
                Num(w, "rel", e.Worst.Relative);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            else w.WriteNull("end_to_end");
            if (r.Baseline is { } b)
            {
                w.WriteStartObject("interpolation_baseline");
                Num(w, "mean_rel", b.MeanRelative);
                Num(w, "max_rel", b.MaxRelative);
                w.WriteString("mask", b.Mask);
                w.WriteEndObject();
            }
            if (r.Precision is { } p)
            {
                w.WriteStartObject("float64_rerun");
                Num(w, "max_rel", p.Float64MaxRelative);
                w.WriteBoolean("collapsed", p.Collapsed);
                w.WriteEndObject();
            }
            w.WriteStartArray("layers");
            foreach (var l in r.Layers)
            {
                w.WriteStartObject();
                w.WriteString("name", l.Name);
                w.WriteString("type", l.TypeName);
                Num(w, "max_rel", l.OwnMaxRelative);
                Num(w, "mean_rel", l.OwnMeanRelative);
                Num(w, "cumulative_max_rel", l.CumulativeMaxRelative);
                Num(w, "activation_norm", l.ActivationNorm);
                Num(w, "gradient_norm", l.GradientNorm);
                w.WriteString("verdict", l.VerdictText);
                w.WriteBoolean("tested", l.Tested);
                w.WriteBoolean("container", l.IsContainer);
                if (l.IsContainer) w.WriteBoolean("breaks_in_own_code", l.BreaksInOwnCode);
                if (l.JudgedBy is { } worstInside) w.WriteString("judged_by", worstInside);
                if (l.SamplingGridMapped is { } mapped) w.WriteBoolean("sampling_grid_mapped", mapped);
                if (l.NotTestableReason is { } why) w.WriteString("not_tested_reason", why);
                else
                {
                    w.WriteString("method", l.Method);
                    w.WriteString("input_action", l.InputAction);
                    w.WriteString("output_action", l.OutputAction);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (r.FirstFailingLayer is { } f) w.WriteString("first_failing_layer", f); else w.WriteNull("first_failing_layer");
            if (r.Gradient is { } g)
            {
                w.WriteStartObject("gradient");
                w.WriteBoolean("judged", g.Judged);
                if (g.NotJudgedReason is { } nj) w.WriteString("not_judged_reason", nj);
                Num(w, "max_rel", g.Relative?.Max ?? double.NaN);
                Num(w, "mean_rel", g.Relative?.Mean ?? double.NaN);
                Num(w, "median_grad_norm", g.MedianGradientNorm);
                Num(w, "floor", g.Floor);
                w.WriteString("result", g.Grade is { } gg ? ReportText.Result(gg) : "NOT_JUDGED");
                w.WriteEndObject();
            }
            else w.WriteNull("gradient");
            w.WriteStartArray("diagnoses");
            foreach (var d in r.Diagnoses)
            {
                w.WriteStartObject();
                w.WriteString("kind", ReportText.Kind(d.Kind));
                w.WriteString("location", d.Location);
                w.WriteString("severity", d.Severity.ToString().ToLowerInvariant());
                w.WriteString("fix", d.Fix);
                w.WriteString("evidence", d.Evidence);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (r.RandomInit is { } ri)
            {
                w.WriteStartObject("random_init");
                Num(w, "max_rel", ri.MaxRelative);
                Num(w, "mean_rel", ri.MeanRelative);
                Num(w, "ratio", ri.Ratio);
                w.WriteEndObject();
            }
            Strings(w, "reasons", r.Reasons);
            Strings(w, "recommendations", r.Recommendations);
            Strings(w, "notes", r.Notes);
            Num(w, "seconds", r.Seconds);
            w.WriteStartArray("timings");
            foreach (var t in r.Timings)
            {
                w.WriteStartObject();
                w.WriteString("phase", t.Phase);
                Num(w, "seconds", t.Seconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (var s in items) w.WriteStringValue(s);
        w.WriteEndArray();
    }
}
