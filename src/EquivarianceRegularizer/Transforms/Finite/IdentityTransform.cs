namespace EquivarianceRegularizer.Transforms;

/// <summary>The identity transform (trivial group); the natural f_out of an invariance.</summary>
public sealed class IdentityTransform : IndexedFiniteTransform
{
    /// <summary>The shared instance.</summary>
    public static IdentityTransform Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "identity";
    /// <inheritdoc />
    public override string Group => "trivial";
    /// <inheritdoc />
    public override int Order => 1;
    /// <inheritdoc />
    public override string DescribeElement(int index) => "identity";
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index) => x.alias();
}
