namespace EquivarianceRegularizer.Groups;

/// <summary>
/// The direct product G₁ × … × G_k of a composition's factors: an element has one part per factor, and the law acts
/// part by part. A <see cref="EquivarianceRegularizer.Transforms.ComposedTransform"/> is an action of it when its
/// factors commute (e.g. one moves pixels, another changes colour).
/// </summary>
internal sealed class ProductGroup : Group
{
    private readonly Group[] _factors;

    /// <summary>The product of <paramref name="factors"/>.</summary>
    public ProductGroup(params Group[] factors) : base(Named(factors)) => _factors = factors.ToArray();

    /// <summary>The factors in order.</summary>
    public IReadOnlyList<Group> Factors => _factors;

    /// <inheritdoc/>
    public override bool IsTrivial => _factors.All(f => f.IsTrivial);

    /// <summary>One element per factor, drawn independently; the values are the factors' side by side (float64).</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        return Of(_factors.Select(f => f.Sample(batch, generator)).ToArray(), batch);
    }

    /// <summary>Every factor's identity.</summary>
    public override GroupElements Identity(long batch, Device? device = null) =>
        Of(_factors.Select(f => f.Identity(batch, device)).ToArray(), batch);

    /// <summary>Every part inverted.</summary>
    public override GroupElements Inverse(GroupElements elements)
    {
        var parts = PartsOf(Own(elements));
        return Of(_factors.Select((f, i) => f.Inverse(parts[i])).ToArray(), elements.BatchSize);
    }

    /// <summary>Part by part.</summary>
    public override GroupElements Compose(GroupElements a, GroupElements b)
    {
        long batch = ProductBatch(Own(a), Own(b));
        var (pa, pb) = (PartsOf(a), PartsOf(b));
        return Of(_factors.Select((f, i) => f.Compose(pa[i], pb[i])).ToArray(), batch);
    }

    /// <inheritdoc/>
    public override bool IsDiscrete => _factors.All(f => f.IsDiscrete);

    private IReadOnlyList<GroupElements> PartsOf(GroupElements elements) =>
        elements.Parts.Count == _factors.Length
            ? elements.Parts
            : throw new ArgumentException($"{Name} elements have one part per factor ({_factors.Length}), got {elements.Parts.Count}.", nameof(elements));

    /// <summary>An element of the product from one element of each factor (takes ownership of the parts).</summary>
    public GroupElements Of(GroupElements[] parts, long batch)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length != _factors.Length) throw new ArgumentException($"{Name} needs {_factors.Length} parts, got {parts.Length}.", nameof(parts));
        using var scope = NewDisposeScope();
        var values = cat(parts.Select(p => p.Values.to(ScalarType.Float64).reshape(batch, -1)).ToArray(), 1).MoveToOuterDisposeScope();
        return new GroupElements(this, values, i => string.Join(" ∘ ", parts.Select(p => p.Describe(i))), parts);
    }

    /// <inheritdoc/>
    public override bool Equals(Group? other) =>
        other is ProductGroup p && p._factors.Length == _factors.Length && p._factors.Zip(_factors).All(z => z.First.Equals(z.Second));

    /// <inheritdoc/>
    public override int GetHashCode() => _factors.Aggregate(17, (h, f) => HashCode.Combine(h, f.GetHashCode()));

    /// <inheritdoc/>
    protected override object Structure => _factors.Length;

    private static string Named(Group[] factors)
    {
        if (factors is null || factors.Length == 0) throw new ArgumentException("A product needs at least one factor.", nameof(factors));
        if (factors.Any(f => f is null)) throw new ArgumentException("A factor is null.", nameof(factors));
        return string.Join("×", factors.Select(f => f.Name));
    }
}
