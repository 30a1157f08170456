namespace EquivarianceRegularizer.Groups;

/// <summary>
/// A group defined by its sampler: the user's own parametrisation. Only the same instance is the same group, so
/// transforms share drawn elements exactly when they were built with one <see cref="CustomGroup"/> object.
/// </summary>
public sealed class CustomGroup : Group
{
    private readonly Func<long, Generator, Tensor> _sample;

    /// <summary>A group named <paramref name="name"/> whose sampler returns one row of parameters per sample.</summary>
    public CustomGroup(string name, Func<long, Generator, Tensor> sample) : base(name) =>
        _sample = sample ?? throw new ArgumentNullException(nameof(sample));

    /// <summary>The user's sampler's parameters (batch first).</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        var values = _sample(batch, generator);
        if (values is null || values.Rank() == 0 || values.size(0) != batch)
            throw new InvalidOperationException($"{Name}: the sampler returned shape [{(values is null ? "null" : string.Join(", ", values.shape))}], expected a first axis of {batch}.");
        var elements = new GroupElements(this, values);
        if (SnapshotsDefaultGenerator) elements.GeneratorSnapshot = new GeneratorSnapshot(Generator.Default);
        return elements;
    }

    /// <summary>Whether each draw also snapshots TorchSharp's default generator for functions that draw their own random numbers (see <see cref="Transforms.LambdaTransform.ReplaysRandomness"/>).</summary>
    internal bool SnapshotsDefaultGenerator { get; init; }

    /// <summary>Only the same instance.</summary>
    public override bool Equals(Group? other) => ReferenceEquals(this, other);

    /// <inheritdoc/>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <inheritdoc/>
    protected override object Structure => this;
}
