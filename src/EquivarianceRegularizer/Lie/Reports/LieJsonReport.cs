using System.Text;
using System.Text.Json;

namespace EquivarianceRegularizer.Lie.Reports;

/// <summary>
/// The machine-readable LEE report, in the audit JSON's convention (snake_case keys and enum values, numbers as
/// shortest round-trip doubles, NaN and infinity as null). Keys: model, input_shape, samples, data, seed, aggregation,
/// align_corners, padding, interpolation, derivative, mode, results[]{transform, total{value, standard_error, samples,
/// output, method, output_border_width and output_border_value (dense outputs: the output's border band, left out of
/// value), coverage}, layers[]{index, name, kind, role, lee, standard_error, share, cumulative_share, projection_share}
/// (null without --layers), share_by_role, sum_relative_residual}, notes, seconds.
/// </summary>
public static class LieJsonReport
{
    private static string Snake(object value) => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString()!);

    /// <summary>Renders the report as indented JSON.</summary>
    public static string Render(LieReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", r.Model);
            w.WriteStartArray("input_shape");
            foreach (var d in r.InputShape) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteNumber("samples", r.Samples);
            w.WriteString("data", r.Data);
            w.WriteNumber("seed", r.Seed);
            w.WriteString("aggregation", Snake(r.Aggregation));
            w.WriteBoolean("align_corners", r.FlowOptions.AlignCorners);
            w.WriteString("padding", Snake(r.FlowOptions.Padding));
            w.WriteString("interpolation", Snake(r.FlowOptions.Interpolation));
            w.WriteString("derivative", Snake(r.FlowOptions.Derivative));
            w.WriteString("mode", r.EvaluationMode);
            w.WriteStartArray("results");
            foreach (var t in r.Results) Result(w, t);
            w.WriteEndArray();
            w.WriteStartArray("notes");
            foreach (var n in r.Notes) w.WriteStringValue(n);
            w.WriteEndArray();
            Num(w, "seconds", r.Seconds);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private static void Result(Utf8JsonWriter w, LieTransformResult t)
    {
        w.WriteStartObject();
        w.WriteString("transform", t.Transform);
        w.WriteStartObject("total");
        Num(w, "value", t.Total.Value);
        Num(w, "standard_error", t.Total.StandardError);
        w.WriteNumber("samples", t.Total.Samples);
        w.WriteString("output", Snake(t.Total.Output));
        w.WriteString("method", Snake(t.Total.Method));
        if (t.Total.OutputBorderWidth is { } band)
        {
            w.WriteNumber("output_border_width", band);
            Num(w, "output_border_value", t.Total.OutputBorderValue ?? double.NaN);
        }
        w.WriteString("coverage", t.Total.Coverage);
        w.WriteEndObject();
        if (t.Layers is not { } layers)
        {
            w.WriteNull("layers");
            w.WriteEndObject();
            return;
        }
        w.WriteStartArray("layers");
        foreach (var l in layers.Layers)
        {
            w.WriteStartObject();
            w.WriteNumber("index", l.Index);
            w.WriteString("name", l.Name);
            w.WriteString("kind", l.Kind);
            w.WriteString("role", Snake(l.Role));
            Num(w, "lee", l.Lee);
            Num(w, "standard_error", l.StandardError);
            Num(w, "share", l.Share);
            Num(w, "cumulative_share", l.CumulativeShare);
            Num(w, "projection_share", l.ProjectionShare);
            if (l.Parent is { } parent) w.WriteString("parent", parent); else w.WriteNull("parent");
            w.WriteBoolean("is_functional", l.IsFunctional);
            if (l.BorderLee is { } border) Num(w, "border_lee", border); else w.WriteNull("border_lee");
            if (l.InteriorLee is { } interior) Num(w, "interior_lee", interior); else w.WriteNull("interior_lee");
            w.WriteBoolean("border_only", l.BorderOnly);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (layers.Culprit is { } culprit) w.WriteString("culprit", culprit); else w.WriteNull("culprit");
        if (layers.Boundary is { } boundary)
        {
            w.WriteStartObject("boundary");
            w.WriteString("padding", Snake(boundary.Padding));
            w.WriteString("source", Snake(boundary.Source));
            w.WriteString("explanation", boundary.Explanation);
            w.WriteEndObject();
        }
        else w.WriteNull("boundary");
        if (layers.BorderShare is { } borderShare) Num(w, "border_share", borderShare); else w.WriteNull("border_share");
        w.WriteStartObject("share_by_role");
        foreach (var (role, share) in layers.ShareByRole) Num(w, JsonNamingPolicy.SnakeCaseLower.ConvertName(role), share);
        w.WriteEndObject();
        Num(w, "sum_relative_residual", layers.SumRelativeResidual);
        w.WriteEndObject();
    }

    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v); else w.WriteNull(name);
    }
}
