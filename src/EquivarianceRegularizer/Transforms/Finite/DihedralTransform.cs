using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// The dihedral group D4 of the square on two sample axes: element e = 4·f + k is "flip the second axis f times,
/// then rotate by k quarter turns".
/// </summary>
internal sealed class DihedralTransform(int axis0 = -2, int axis1 = -1) : IndexedFiniteTransform
{
    /// <inheritdoc />
    public override string Name => "d4";
    /// <inheritdoc />
    public override FiniteGroup Group { get; } = new DihedralGroup(4, k => (k >= 4 ? "flip, then " : string.Empty) + $"rotation by {90 * (k % 4)}°");
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index)
    {
        long a0 = Axes.Resolve(x, axis0, Name), a1 = Axes.Resolve(x, axis1, Name);
        if (index < 4) return x.rot90(index, (a0, a1));
        using var flipped = x.flip(a1);
        return flipped.rot90(index % 4, (a0, a1));
    }
}
