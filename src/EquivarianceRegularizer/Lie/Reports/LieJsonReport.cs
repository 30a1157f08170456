using EquivarianceRegularizer.Reports;

namespace EquivarianceRegularizer.Lie.Reports;

/// <summary>
/// The machine-readable LEE report, in the audit JSON's convention (<see cref="ReportJson"/>: snake_case keys and enum
/// values, numbers as shortest round-trip doubles, NaN and infinity as null). Keys: model, input_shape, samples, data,
/// seed, aggregation, align_corners, padding, interpolation, derivative, mode, results[]{transform, total{value,
/// standard_error, samples, output, method, output_border_width and output_border_value (a dense output's border band,
/// left out of value; null otherwise), coverage}, layers[]{index, name, kind, role, lee, standard_error, share,
/// cumulative_share, projection_share, parent, is_functional, border_lee, interior_lee, border_only} (null without
/// --layers), culprit, boundary, border_share, share_by_role, sum_relative_residual}, notes, seconds. The records below
/// list every key in order.
/// </summary>
internal static class LieJsonReport
{
    private static string Snake(object value) => ReportJson.Snake(value);

    /// <summary>Renders the report as indented JSON.</summary>
    public static string Render(LieReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return ReportJson.Serialize(new Document(
            r.Model, r.InputShape, r.Samples, r.Data, r.Seed, Snake(r.Aggregation), r.FlowOptions.AlignCorners,
            Snake(r.FlowOptions.Padding), Snake(r.FlowOptions.Interpolation), Snake(r.FlowOptions.Derivative), r.EvaluationMode,
            r.Results.Select(Result).ToArray(), r.AllNotes, r.Seconds)) + "\n";
    }

    // A result without layers is only its transform and total, with "layers": null (declared as object, so the
    // serializer writes whichever record it is).
    private static object Result(LieTransformResult t)
    {
        var total = new TotalJson(t.Total.Value, t.Total.StandardError, t.Total.Samples, Snake(t.Total.Output), Snake(t.Total.Method),
            t.Total.OutputBorderWidth, t.Total.OutputBorderValue, t.Total.Coverage);
        if (t.Layers is not { } layers) return new TotalOnlyJson(t.Transform, total, null);
        return new ResultJson(t.Transform, total,
            layers.Layers.Select(l => new LayerJson(l.Index, l.Name, l.Kind, Snake(l.Role), l.Lee, l.StandardError, l.Share, l.CumulativeShare,
                l.ProjectionShare, l.Parent, l.IsFunctional, l.BorderLee, l.InteriorLee, l.BorderOnly)).ToArray(),
            layers.Culprit,
            layers.Boundary is { } b ? new BoundaryJson(Snake(b.Padding), b.FromModel ? "model" : "transform", b.Explanation) : null,
            layers.BorderShare,
            layers.ShareByRole,
            layers.SumRelativeResidual);
    }

    private sealed record Document(
        string Model, IReadOnlyList<long> InputShape, int Samples, string Data, ulong Seed, string Aggregation, bool AlignCorners,
        string Padding, string Interpolation, string Derivative, string Mode, object[] Results, IReadOnlyList<string> Notes, double Seconds);

    private sealed record TotalJson(double Value, double StandardError, int Samples, string Output, string Method,
        int? OutputBorderWidth, double? OutputBorderValue, string Coverage);

    private sealed record TotalOnlyJson(string Transform, TotalJson Total, LayerJson[]? Layers);

    private sealed record ResultJson(
        string Transform, TotalJson Total, LayerJson[] Layers, string? Culprit, BoundaryJson? Boundary, double? BorderShare,
        IReadOnlyDictionary<string, double> ShareByRole, double SumRelativeResidual);

    private sealed record LayerJson(
        int Index, string Name, string Kind, string Role, double Lee, double StandardError, double Share, double CumulativeShare,
        double ProjectionShare, string? Parent, bool IsFunctional, double? BorderLee, double? InteriorLee, bool BorderOnly);

    private sealed record BoundaryJson(string Padding, string Source, string Explanation);
}
