namespace EquivarianceRegularizer.Transforms;

/// <summary>A deterministic user transform from a delegate (a group of one non-trivial action, e.g. "negate").</summary>
public sealed class LambdaTransform(string name, Func<Tensor, Tensor> apply) : IGroupTransform
{
    private readonly Func<Tensor, Tensor> _apply = apply ?? throw new ArgumentNullException(nameof(apply));

    /// <inheritdoc />
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A transform needs a name.", nameof(name));

    /// <summary>A group of its own with one parameterless draw per sample: only this transform acts by it.</summary>
    public Group Group => _group ??= new CustomGroup(Name, (batch, _) => zeros(new[] { batch, 0L }, ScalarType.Float64));
    private CustomGroup? _group;

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements) => _apply(x);
}
