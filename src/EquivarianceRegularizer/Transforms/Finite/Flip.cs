using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>Mirror along one sample axis (the group C2); default the last axis (a horizontal flip of images).</summary>
internal sealed class Flip(int axis = -1, string name = "flip-h") : IndexedFiniteTransform
{
    /// <summary>Horizontal flip (reverses the width axis).</summary>
    public static Flip Horizontal() => new(-1, "flip-h");

    /// <summary>Vertical flip (reverses the height axis).</summary>
    public static Flip Vertical() => new(-2, "flip-v");

    private readonly string _name = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A flip needs a name.", nameof(name));

    /// <inheritdoc />
    public override string Name => _name;
    /// <inheritdoc />
    public override FiniteGroup Group { get; } = new CyclicGroup(2, k => k == 0 ? "identity" : $"flip of axis {axis}");
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index) => index == 0 ? x.alias() : x.flip(Axes.Resolve(x, axis, Name));
}
