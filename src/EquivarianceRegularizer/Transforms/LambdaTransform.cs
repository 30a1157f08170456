namespace EquivarianceRegularizer.Transforms;

/// <summary>A deterministic user transform from a delegate (a group of one non-trivial action, e.g. "negate").</summary>
public sealed class LambdaTransform(string name, Func<Tensor, Tensor> apply) : IGroupTransform
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
