namespace EquivarianceRegularizer.Lie;

/// <summary>What one row of a per-module attribution describes (the same for every batch).</summary>
internal sealed record AttributionRow(
    string Name, string Kind, LayerRole Role, string? Parent, bool IsFunctional, IReadOnlyList<long> OutputShape, bool EquivariantOutput);
