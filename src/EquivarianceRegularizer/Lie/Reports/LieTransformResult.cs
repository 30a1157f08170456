namespace EquivarianceRegularizer.Lie.Reports;

/// <summary>The LEE along one transform, with its layer-wise attribution when that was measured.</summary>
internal sealed record LieTransformResult
{
    /// <summary>The model's LEE along the transform.</summary>
    public required LeeResult Total { get; init; }

    /// <summary>The per-layer attribution, or null when it was not asked for.</summary>
    public LayerwiseLeeReport? Layers { get; init; }

    /// <summary>The transform's name.</summary>
    public string Transform => Total.Transform;

    /// <summary>From a layer-wise measurement (its total is the model's LEE).</summary>
    public static LieTransformResult From(LayerwiseLeeReport layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return new() { Total = layers.Total, Layers = layers };
    }
}
