namespace EquivarianceRegularizer.Lie;

/// <summary>One stage's share of a model's Lie derivative. JSON-serialisable.</summary>
public sealed record LayerContribution
{
    /// <summary>Position in the chain (0 = first stage).</summary>
    public required int Index { get; init; }

    /// <summary>The stage's name, with control and bidirectional characters shown as escapes (it reaches every report).</summary>
    public required string Name { get; init => field = EquivarianceRegularizer.Reports.ReportFormat.Printable(value); }

    /// <summary>The stage's type.</summary>
    public required string Kind { get; init; }

    /// <summary>The stage's role (refined from shapes: a stage that shrinks H×W is downsampling).</summary>
    public required LayerRole Role { get; init; }

    /// <summary>Shape of the stage's output for one sample (batch axis dropped).</summary>
    public required IReadOnlyList<long> OutputShape { get; init; }

    /// <summary>Whether the group acts on this stage's output (a feature map) or trivially.</summary>
    public required bool EquivariantOutput { get; init; }

    /// <summary>
    /// The LEE of this stage's contribution C_i = J_{N:i+1}·L_X f_i, measured at the model output with the
    /// report's aggregation.
    /// </summary>
    public required double Lee { get; init; }

    /// <summary>Standard error of <see cref="Lee"/> over samples.</summary>
    public required double StandardError { get; init; }

    /// <summary>Lee / Σ_j Lee_j.</summary>
    public required double Share { get; init; }

    /// <summary>Σ_{j≤i} Share_j (for a cumulative plot).</summary>
    public required double CumulativeShare { get; init; }

    /// <summary>
    /// Σ_x ⟨C_i, L⟩ / Σ_x ||L||²: the signed share of the total Lie derivative along itself. Sums to exactly 1 over
    /// the layers (contributions can cancel, so individual values may be negative or exceed 1).
    /// </summary>
    public required double ProjectionShare { get; init; }

    /// <summary>
    /// The container this row belongs to (its dotted module path), or null at the top level. Set by
    /// <see cref="ModelLieAttribution"/>; null for explicit stages.
    /// </summary>
    public string? Parent { get; init; }

    /// <summary>
    /// True for the share of functional code: operations a module's forward runs itself, between or around its
    /// children (a relu, a mean, a residual addition), measured as the module's whole share minus its children's.
    /// </summary>
    public bool IsFunctional { get; init; }

    /// <summary>
    /// The LEE of the part of this row's contribution that starts in the border band (the outer
    /// <see cref="LayerwiseLeeReport.BorderWidth"/> pixels of the feature map where the row's own Lie derivative
    /// lives); null when that is no feature map.
    /// </summary>
    public double? BorderLee { get; init; }

    /// <summary>The LEE of the part that starts in the interior (everything but the border band); null as for <see cref="BorderLee"/>.</summary>
    public double? InteriorLee { get; init; }

    /// <summary>
    /// True when the row's own Lie derivative lies entirely in the border band (its interior part is zero to rounding)
    /// although the whole is not: the layer is equivariant away from the border, and what it contributes comes from
    /// the boundary (its padding, or the tangent's boundary convention), so it is never named the culprit.
    /// </summary>
    public bool BorderOnly { get; init; }
}
