using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>Rotation by k quarter turns (the cyclic group C4) in the plane of two sample axes (default the last two: H, W).</summary>
internal sealed class RotationByQuarterTurns(int axis0 = -2, int axis1 = -1) : IndexedFiniteTransform
{
    /// <inheritdoc />
    public override string Name => "rot90";
    /// <inheritdoc />
    public override FiniteGroup Group { get; } = new CyclicGroup(4, k => $"rotation by {90 * k}°");
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index) =>
        x.rot90(index, (Axes.Resolve(x, axis0, Name), Axes.Resolve(x, axis1, Name)));
}
