namespace EquivarianceRegularizer.Groups;

/// <summary>
/// A group defined by the user's own parametrisation: a sampler and, optionally, its law on parameter rows. Only the
/// same instance is the same group, so transforms share drawn elements exactly when they were built with one
/// <see cref="CustomGroup"/> object. Without a law, <see cref="Identity"/>, <see cref="Inverse"/> and
/// <see cref="Compose"/> say so and what to pass.
/// </summary>
internal sealed class CustomGroup : Group
{
    private readonly Func<long, Generator, Tensor> _sample;
    private readonly Func<long, Tensor>? _identity;
    private readonly Func<Tensor, Tensor>? _inverse;
    private readonly Func<Tensor, Tensor, Tensor>? _compose;

    /// <summary>A group named <paramref name="name"/> whose sampler returns one row of parameters per sample.</summary>
    /// <param name="name">Name in reports.</param>
    /// <param name="sample">Draws the parameters of a batch (batch first).</param>
    /// <param name="identity">The identity's parameters for a batch (optional; give all three parts of the law or none).</param>
    /// <param name="inverse">The inverse's parameters, row by row.</param>
    /// <param name="compose">The parameters of a·b from those of a and b, row by row (acting by a·b is acting by b, then by a).</param>
    public CustomGroup(string name, Func<long, Generator, Tensor> sample,
        Func<long, Tensor>? identity = null, Func<Tensor, Tensor>? inverse = null, Func<Tensor, Tensor, Tensor>? compose = null) : base(name)
    {
        _sample = sample ?? throw new ArgumentNullException(nameof(sample));
        int given = (identity is null ? 0 : 1) + (inverse is null ? 0 : 1) + (compose is null ? 0 : 1);
        if (given is 1 or 2)
            throw new ArgumentException($"{name}: a group law needs identity, inverse and compose together; pass all three or none.", nameof(identity));
        (_identity, _inverse, _compose) = (identity, inverse, compose);
    }

    /// <summary>Whether the group was given its law (identity, inverse, composition).</summary>
    public bool HasLaw => _compose is not null;

    /// <summary>The user's sampler's parameters (batch first).</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        var elements = Checked(_sample(batch, generator), batch, "sampler");
        if (SnapshotsDefaultGenerator) elements.GeneratorSnapshot = new GeneratorSnapshot(Generator.Default);
        return elements;
    }

    /// <inheritdoc/>
    public override GroupElements Identity(long batch, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var values = Law(_identity)(batch);
        return Checked(device is null ? values : values.OnDevice(device), batch, "identity");
    }

    /// <inheritdoc/>
    public override GroupElements Inverse(GroupElements elements) =>
        Checked(Law(_inverse)(Own(elements).Values), elements.BatchSize, "inverse");

    /// <inheritdoc/>
    public override GroupElements Compose(GroupElements a, GroupElements b)
    {
        long batch = ProductBatch(Own(a), Own(b));
        return Checked(Law(_compose)(a.Values, b.Values.OnDevice(a.Values.device)), batch, "compose");
    }

    /// <summary>Whether each draw also snapshots TorchSharp's default generator for functions that draw their own random numbers (see <see cref="Transforms.LambdaTransform.ReplaysRandomness"/>).</summary>
    internal bool SnapshotsDefaultGenerator { get; init; }

    /// <summary>Only the same instance.</summary>
    public override bool Equals(Group? other) => ReferenceEquals(this, other);

    /// <inheritdoc/>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <inheritdoc/>
    protected override object Structure => this;

    private T Law<T>(T? part) where T : class =>
        part ?? throw new InvalidOperationException(
            $"{Name} was built from a sampler alone and has no group law: pass identity, inverse and compose to the CustomGroup constructor.");

    private GroupElements Checked(Tensor? values, long batch, string what)
    {
        if (values is null || values.Rank() == 0 || values.size(0) != batch)
            throw new InvalidOperationException($"{Name}: the {what} returned shape [{(values is null ? "null" : string.Join(", ", values.shape))}], expected a first axis of {batch}.");
        return new GroupElements(this, values);
    }
}
