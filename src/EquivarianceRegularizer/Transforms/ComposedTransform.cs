namespace EquivarianceRegularizer.Transforms;

/// <summary>Composition: applies the factors right to left (the last factor first), each with its own element.</summary>
internal sealed class ComposedTransform : IGroupTransform
{
    private readonly IGroupTransform[] _factors;

    /// <summary>g = factors[0] ∘ factors[1] ∘ …</summary>
    public ComposedTransform(params IGroupTransform[] factors)
    {
        if (factors is null || factors.Length == 0) throw new ArgumentException("A composition needs at least one factor.", nameof(factors));
        if (factors.Any(f => f is null)) throw new ArgumentException("A factor is null.", nameof(factors));
        _factors = factors;
    }

    /// <inheritdoc />
    public string Name => string.Join("∘", _factors.Select(f => f.Name));

    /// <summary>The product of the factors' groups; an element has one part per factor.</summary>
    public ProductGroup Group => _group ??= new ProductGroup(_factors.Select(f => f.Group).ToArray());
    private ProductGroup? _group;

    Group IGroupTransform.Group => Group;

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(elements);
        if (elements.Parts.Count != _factors.Length)
            throw new ArgumentException($"{Name} needs {_factors.Length} element parts, got {elements.Parts.Count}.", nameof(elements));
        using var scope = NewDisposeScope();
        var y = x;
        for (int i = _factors.Length - 1; i >= 0; i--) y = _factors[i].Apply(y, elements.Parts[i]);
        return (ReferenceEquals(y, x) ? x.alias() : y).MoveToOuterDisposeScope();
    }
}
