using System.Text.Json;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// Per-layer attribution of a model's Lie derivative by the chain rule
/// L_X(f_N∘…∘f_1)(x) = Σ_i J_{N:i+1}·L_X f_i(h_{i−1}), each term pushed forward exactly by a jvp. JSON-serialisable
/// (<see cref="ToJson"/>); <see cref="Layers"/> in order holds the data of a cumulative plot.
/// </summary>
public sealed record LayerwiseLeeReport
{
    /// <summary>The transform's name.</summary>
    public required string Transform { get; init; }

    /// <summary>The aggregation convention of every number in the report.</summary>
    public required LieAggregation Aggregation { get; init; }

    /// <summary>The end-to-end LEE (computed by its own jvp, independently of the layers).</summary>
    public required LeeResult Total { get; init; }

    /// <summary>The stages in order.</summary>
    public required IReadOnlyList<LayerContribution> Layers { get; init; }

    /// <summary>Σ of Share by role (e.g. how much of the LEE comes from nonlinearities and downsampling).</summary>
    public required IReadOnlyDictionary<string, double> ShareByRole { get; init; }

    /// <summary>
    /// max over batches of ||Σ_i C_i − L|| / max(||L||, max_i ||C_i||): how exactly the contributions add up to the
    /// end-to-end Lie derivative (float rounding only; ≤ 1e-4 expected in float32).
    /// </summary>
    public required double SumRelativeResidual { get; init; }

    /// <summary>Number of samples.</summary>
    public required int Samples { get; init; }

    /// <summary>
    /// The modules that contain others (their rows are not part of <see cref="Layers"/>): each one's contribution is
    /// the sum of its children's and its own functional code's. Empty for explicit stages.
    /// </summary>
    public IReadOnlyList<LayerContribution> Containers { get; init; } = Array.Empty<LayerContribution>();

    /// <summary>The boundary convention of the tangent's spatial derivative and where it came from; null for non-geometric transforms or explicit stages.</summary>
    public BoundaryConvention? Boundary { get; init; }

    /// <summary>Width in pixels of the border band of <see cref="BorderShare"/>; null when the band was not measured.</summary>
    public int? BorderWidth { get; init; }

    /// <summary>
    /// Σ_x ⟨C_border, L⟩ / Σ_x ||L||²: the signed share of the total Lie derivative that starts in the border band of
    /// the rows' own Lie derivatives; 1 − BorderShare starts in the interior. Null when the band was not measured.
    /// </summary>
    public double? BorderShare { get; init; }

    /// <summary>What was skipped or decided while observing the model (modules that are not Tensor→Tensor, and so on).</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The row of <see cref="Layers"/> with the largest LEE (functional rows included), leaving out rows whose own Lie
    /// derivative lives only in the border band (<see cref="LayerContribution.BorderOnly"/>: equivariant layers whose
    /// share comes from the boundary). Null when every share is zero.
    /// </summary>
    public string? Culprit
    {
        get
        {
            var best = Layers.Where(l => !l.BorderOnly).Select(l => (l.Name, l.Lee))
                .Where(l => l.Lee > 0).OrderByDescending(l => l.Lee).FirstOrDefault();
            return best.Name;
        }
    }

    /// <summary>Indented JSON, camelCase, enums as strings.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LieJson.Options);

    /// <summary>A plain-text table (one row per layer).</summary>
    public string ToTable()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(inv, $"{Transform}: LEE {Total.Value:G4} ± {Total.StandardError:G2} ({Aggregation}, {Total.Samples} samples, sum residual {SumRelativeResidual:G2}; {Total.Coverage})");
        // Full names: the columns are as wide as the longest name and kind.
        int nameWidth = Math.Max(16, Layers.Select(l => l.Name.Length).DefaultIfEmpty(0).Max());
        int kindWidth = Math.Max(14, Layers.Select(l => l.Kind.Length).DefaultIfEmpty(0).Max());
        sb.AppendLine(inv, $"{"#",3} {"layer".PadRight(nameWidth)} {"kind".PadRight(kindWidth)} {"role",-13} {"LEE",11} {"share",7} {"cum.",7} {"proj.",7}");
        foreach (var l in Layers)
            sb.AppendLine(inv, $"{l.Index,3} {l.Name.PadRight(nameWidth)} {l.Kind.PadRight(kindWidth)} {l.Role,-13} {l.Lee,11:G4} {l.Share,7:P1} {l.CumulativeShare,7:P1} {l.ProjectionShare,7:F3}{(l.BorderOnly ? "  border only" : "")}");
        foreach (var c in Containers)
            sb.AppendLine(inv, $"container {c.Name} ({c.Kind}): LEE {c.Lee:G4}, projection {c.ProjectionShare:F3} = its rows' sum");
        if (Boundary is not null) sb.AppendLine(inv, $"boundary: {Boundary.Explanation}");
        if (BorderShare is { } border)
            sb.AppendLine(inv, $"border band ({BorderWidth} px) of the modules' own Lie derivatives: projection share {border:F3}, the rest {1 - border:F3}");
        if (Culprit is not null) sb.AppendLine(inv, $"largest share away from border-only layers: {Culprit}");
        foreach (var note in Notes) sb.AppendLine(note);
        return sb.ToString();
    }
}
