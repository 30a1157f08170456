namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A user transform from a plain function <c>Func&lt;Tensor, Tensor&gt;</c> applied as given (e.g. "negate", or a
/// function that draws its own random angle). It acts by a group of its own with no parameters, so it is never
/// mistaken for another transform's group. With <see cref="ReplaysRandomness"/> every application within one draw
/// sees the same random numbers from TorchSharp's default generator: the reference package's <c>(f, ε, λ)</c>, where a
/// random f transforms an input and its output identically.
/// </summary>
internal sealed class LambdaTransform : IGroupTransform
{
    private readonly Func<Tensor, Tensor> _apply;
    private CustomGroup? _group;

    /// <summary>A transform named <paramref name="name"/> applying <paramref name="apply"/>.</summary>
    public LambdaTransform(string name, Func<Tensor, Tensor> apply)
    {
        _apply = apply ?? throw new ArgumentNullException(nameof(apply));
        Name = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A transform needs a name.", nameof(name));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// Whether each draw snapshots TorchSharp's default generator and every application of that draw replays it, so a
    /// function drawing random numbers (without a generator of its own) acts identically on a sample's input and output.
    /// The first application advances the default generator as one call of the function would.
    /// </summary>
    public bool ReplaysRandomness { get; init; }

    /// <summary>A group of its own with one parameterless draw per sample: only this transform acts by it.</summary>
    public Group Group => _group ??= new CustomGroup(Name, (batch, _) => zeros(new[] { batch, 0L }, ScalarType.Float64))
    {
        SnapshotsDefaultGenerator = ReplaysRandomness,
    };

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        if (elements.GeneratorSnapshot is not { } snapshot) return _apply(x);
        return snapshot.Replay(() => _apply(x));
    }
}
