namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A random user transform: a <see cref="CustomGroup"/> draws a float64 parameter row per sample, a delegate applies
/// given parameters. Input and output transforms built with the same <paramref name="group"/> object share the draw.
/// <code>
/// var shifts = new CustomGroup("shift", (n, g) => torch.rand(new[] { n, 1L }, dtype: ScalarType.Float64, generator: g));
/// var onInputs = new RandomLambdaTransform("shift", shifts, (x, p) => x + p.to(x.dtype).view(-1, 1));
/// </code>
/// </summary>
internal sealed class RandomLambdaTransform(string name, Group group, Func<Tensor, Tensor, Tensor> apply) : IGroupTransform
{
    private readonly Func<Tensor, Tensor, Tensor> _apply = apply ?? throw new ArgumentNullException(nameof(apply));

    /// <inheritdoc />
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A transform needs a name.", nameof(name));

    /// <inheritdoc />
    public Group Group { get; } = group ?? throw new ArgumentNullException(nameof(group));

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return _apply(x, elements.Values);
    }
}
