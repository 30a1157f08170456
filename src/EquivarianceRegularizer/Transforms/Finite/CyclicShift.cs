using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>Cyclic shift (torch.roll) by s pixels along one sample axis: the group Z_n, n the axis length.</summary>
internal sealed class CyclicShift(int axisLength, int axis = -1) : IndexedFiniteTransform, IResolutionAware
{
    private readonly int _n = axisLength >= 1 ? axisLength : throw new ArgumentOutOfRangeException(nameof(axisLength), axisLength, "Axis length must be at least 1.");

    /// <inheritdoc />
    public override string Name => "roll";
    /// <inheritdoc />
    public override FiniteGroup Group => _group ??= new CyclicGroup(_n, k => $"cyclic shift by {k} along axis {axis}");
    private CyclicGroup? _group;
    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index)
    {
        long d = Axes.Resolve(x, axis, Name);
        if (x.size((int)d) != _n)
            throw new ArgumentException($"roll: axis {axis} has length {x.size((int)d)}, the transform was built for {_n}.", nameof(x));
        return x.roll(index, d);
    }

    /// <summary>
    /// This shift group on a tensor whose axis has another length (see <see cref="ResampledCyclicShift"/>); this
    /// transform itself when the length is the same; null when the tensor has no such axis.
    /// </summary>
    public IGroupTransform? AtResolutionOf(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        long d;
        try { d = Axes.Resolve(x, axis, Name); }
        catch (ArgumentException) { return null; }
        long m = x.size((int)d);
        if (m == _n) return this;
        return m <= int.MaxValue ? new ResampledCyclicShift(_n, (int)m, axis) : null;
    }
}
