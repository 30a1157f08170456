
namespace EquivarianceRegularizer.Transforms;

/// <summary>A deterministic user transform from a delegate (a group of one non-trivial action, e.g. "negate").</summary>
public sealed class LambdaTransform(string name, Func<Tensor, Tensor> apply) : ITransform
{
    private readonly Func<Tensor, Tensor> _apply = apply ?? throw new ArgumentNullException(nameof(apply));

    /// <inheritdoc />
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A transform needs a name.", nameof(name));

    /// <inheritdoc />
    public string Group => "custom:" + Name;

    /// <inheritdoc />
    public GroupElements Sample(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return new GroupElements(Group, zeros(new[] { batch, 0L }, ScalarType.Float64), _ => Name);
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements) => _apply(x);
}

/// <summary>
/// A random user transform from two delegates: one draws a float64 parameter row per sample, the other applies
/// given parameters. Input and output transforms built with the same <paramref name="group"/> share the draw.
/// </summary>
public sealed class RandomLambdaTransform(string name, string group, Func<long, Generator, Tensor> sample, Func<Tensor, Tensor, Tensor> apply) : ITransform
{
    private readonly Func<long, Generator, Tensor> _sample = sample ?? throw new ArgumentNullException(nameof(sample));
    private readonly Func<Tensor, Tensor, Tensor> _apply = apply ?? throw new ArgumentNullException(nameof(apply));

    /// <inheritdoc />
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A transform needs a name.", nameof(name));

    /// <inheritdoc />
    public string Group { get; } = !string.IsNullOrEmpty(group) ? group : throw new ArgumentException("A transform needs a group name.", nameof(group));

    /// <inheritdoc />
    public GroupElements Sample(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var values = _sample(batch, generator);
        if (values.Rank() == 0 || values.size(0) != batch)
            throw new InvalidOperationException($"{Name}: the sampler returned shape [{string.Join(", ", values.shape)}], expected a first axis of {batch}.");
        return new GroupElements(Group, values);
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return _apply(x, elements.Values);
    }
}

/// <summary>Composition: applies the factors right to left (the last factor first), each with its own element.</summary>
public sealed class ComposedTransform : ITransform
{
    private readonly ITransform[] _factors;

    /// <summary>g = factors[0] ∘ factors[1] ∘ …</summary>
    public ComposedTransform(params ITransform[] factors)
    {
        if (factors is null || factors.Length == 0) throw new ArgumentException("A composition needs at least one factor.", nameof(factors));
        if (factors.Any(f => f is null)) throw new ArgumentException("A factor is null.", nameof(factors));
        _factors = factors;
    }

    /// <inheritdoc />
    public string Name => string.Join("∘", _factors.Select(f => f.Name));

    /// <inheritdoc />
    public string Group => string.Join("×", _factors.Select(f => f.Group));

    /// <inheritdoc />
    public GroupElements Sample(long batch, Generator generator)
    {
        var parts = _factors.Select(f => f.Sample(batch, generator)).ToArray();
        using var scope = NewDisposeScope();
        var values = cat(parts.Select(p => p.Values.to(ScalarType.Float64).reshape(batch, -1)).ToArray(), 1).MoveToOuterDisposeScope();
        return new GroupElements(Group, values, i => string.Join(" ∘ ", parts.Select(p => p.Describe(i))), parts);
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        if (elements.Parts.Count != _factors.Length)
            throw new ArgumentException($"{Name} needs {_factors.Length} element parts, got {elements.Parts.Count}.", nameof(elements));
        using var scope = NewDisposeScope();
        var y = x;
        for (int i = _factors.Length - 1; i >= 0; i--) y = _factors[i].Apply(y, elements.Parts[i]);
        return (ReferenceEquals(y, x) ? x.alias() : y).MoveToOuterDisposeScope();
    }
}
