namespace EquivarianceRegularizer.Audit;

/// <summary>
/// A per-layer replacement for the layer phase's default actions (the model's input transform wherever the
/// tensor's rank allows): the symmetry the layer itself should respect, or a reason it cannot be tested.
/// </summary>
public sealed record LayerActionOverride
{
    private LayerActionOverride(Symmetry? symmetry, string? notTestableReason)
    {
        Symmetry = symmetry;
        NotTestableReason = notTestableReason;
    }

    /// <summary>The layer's symmetry: its input action on the layer's input, its output action on the layer's output (the model's group).</summary>
    public Symmetry? Symmetry { get; }

    /// <summary>Why the layer is not tested (shown in the report), or null.</summary>
    public string? NotTestableReason { get; }

    /// <summary>The layer should respect <paramref name="symmetry"/>.</summary>
    public static LayerActionOverride By(Symmetry symmetry) => new(symmetry ?? throw new ArgumentNullException(nameof(symmetry)), null);

    /// <summary>The layer is not tested; <paramref name="reason"/> says why.</summary>
    public static LayerActionOverride NotTestable(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(null, reason);
    }
}
