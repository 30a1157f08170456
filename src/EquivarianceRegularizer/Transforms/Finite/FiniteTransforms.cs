
namespace EquivarianceRegularizer.Transforms;

/// <summary>Axis helpers shared by the transforms: axes are given relative to the sample (batch axis excluded).</summary>
internal static class Axes
{
    /// <summary>Checks the arguments of <see cref="ITransform.Apply"/>: elements of this transform's group, one per sample of x.</summary>
    public static void CheckApply(ITransform transform, Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(elements);
        if (elements.Group != transform.Group)
            throw new ArgumentException($"{transform.Name} acts by {transform.Group} but was given elements of {elements.Group}.", nameof(elements));
        if (x.Rank() == 0 || x.size(0) != elements.BatchSize)
            throw new ArgumentException($"{transform.Name}: x has batch {(x.Rank() == 0 ? 0 : x.size(0))} but {elements.BatchSize} elements were drawn.", nameof(x));
    }

    /// <summary>Resolves a per-sample axis (negative counts from the end) to a tensor dimension of <paramref name="x"/>.</summary>
    public static long Resolve(Tensor x, int axis, string transform)
    {
        int sampleDims = x.Rank() - 1;
        int a = axis < 0 ? axis + sampleDims : axis;
        if (a < 0 || a >= sampleDims)
            throw new ArgumentException($"{transform}: axis {axis} does not exist in samples of shape [{string.Join(", ", x.shape.Skip(1))}].", nameof(x));
        return a + 1;
    }
}

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

/// <summary>Rotation by k quarter turns (the cyclic group C4) in the plane of two sample axes (default the last two: H, W).</summary>
public sealed class RotationByQuarterTurns(int axis0 = -2, int axis1 = -1) : IndexedFiniteTransform
{
    /// <inheritdoc />
    public override string Name => "rot90";
    /// <inheritdoc />
    public override string Group => "C4";
    /// <inheritdoc />
    public override int Order => 4;
    /// <inheritdoc />
    public override string DescribeElement(int index) => $"rotation by {90 * index}°";
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index) =>
        x.rot90(index, (Axes.Resolve(x, axis0, Name), Axes.Resolve(x, axis1, Name)));
}

/// <summary>Mirror along one sample axis (the group C2); default the last axis (a horizontal flip of images).</summary>
public sealed class Flip(int axis = -1, string name = "flip-h") : IndexedFiniteTransform
{
    /// <summary>Horizontal flip (reverses the width axis).</summary>
    public static Flip Horizontal() => new(-1, "flip-h");

    /// <summary>Vertical flip (reverses the height axis).</summary>
    public static Flip Vertical() => new(-2, "flip-v");

    private readonly string _name = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A flip needs a name.", nameof(name));

    /// <inheritdoc />
    public override string Name => _name;
    /// <inheritdoc />
    public override string Group => $"C2(axis {axis})";
    /// <inheritdoc />
    public override int Order => 2;
    /// <inheritdoc />
    public override string DescribeElement(int index) => index == 0 ? "identity" : $"flip of axis {axis}";
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index) => index == 0 ? x.alias() : x.flip(Axes.Resolve(x, axis, Name));
}

/// <summary>
/// The dihedral group D4 of the square on two sample axes: element e = 4·f + k is "flip the second axis f times,
/// then rotate by k quarter turns".
/// </summary>
public sealed class DihedralTransform(int axis0 = -2, int axis1 = -1) : IndexedFiniteTransform
{
    /// <inheritdoc />
    public override string Name => "d4";
    /// <inheritdoc />
    public override string Group => "D4";
    /// <inheritdoc />
    public override int Order => 8;
    /// <inheritdoc />
    public override string DescribeElement(int index) =>
        (index >= 4 ? "flip, then " : string.Empty) + $"rotation by {90 * (index % 4)}°";
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index)
    {
        long a0 = Axes.Resolve(x, axis0, Name), a1 = Axes.Resolve(x, axis1, Name);
        if (index < 4) return x.rot90(index, (a0, a1));
        using var flipped = x.flip(a1);
        return flipped.rot90(index % 4, (a0, a1));
    }
}

/// <summary>Cyclic shift (torch.roll) by s pixels along one sample axis: the group Z_n, n the axis length.</summary>
public sealed class CyclicShift(int axisLength, int axis = -1) : IndexedFiniteTransform
{
    private readonly int _n = axisLength >= 1 ? axisLength : throw new ArgumentOutOfRangeException(nameof(axisLength), axisLength, "Axis length must be at least 1.");

    /// <inheritdoc />
    public override string Name => "roll";
    /// <inheritdoc />
    public override string Group => $"Z{_n}";
    /// <inheritdoc />
    public override int Order => _n;
    /// <inheritdoc />
    public override string DescribeElement(int index) => $"cyclic shift by {index} along axis {axis}";
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index)
    {
        long d = Axes.Resolve(x, axis, Name);
        if (x.size((int)d) != _n)
            throw new ArgumentException($"roll: axis {axis} has length {x.size((int)d)}, the transform was built for {_n}.", nameof(x));
        return x.roll(index, d);
    }
}
