
namespace EquivarianceRegularizer.Audit;

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
