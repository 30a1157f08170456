namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A random user transform from two delegates: one draws a float64 parameter row per sample, the other applies
/// given parameters. Input and output transforms built with the same <paramref name="group"/> share the draw.
/// </summary>
public sealed class RandomLambdaTransform(string name, string group, Func<long, Generator, Tensor> sample, Func<Tensor, Tensor, Tensor> apply) : IGroupTransform
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
