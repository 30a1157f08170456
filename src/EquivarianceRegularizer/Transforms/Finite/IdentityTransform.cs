using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>The identity transform (trivial group); the natural f_out of an invariance.</summary>
internal sealed class IdentityTransform : IndexedFiniteTransform
{
    /// <summary>The shared instance.</summary>
    public static IdentityTransform Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "identity";
    /// <inheritdoc />
    public override FiniteGroup Group => TrivialGroup.Instance;
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index) => x.alias();
}
