using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// The cyclic-shift group Z_n of a <see cref="CyclicShift"/> built for axis length n, acting on an axis of length m:
/// element s shifts by ⌊s·m/n⌋. Exact for shifts by multiples of n/m (a stride-2 layer commutes with even shifts); for
/// the others no shift at length m corresponds, so a layer between the two resolutions shows its aliasing as an error.
/// Length 1 (global pooling) is acted on trivially.
/// </summary>
internal sealed class ResampledCyclicShift : IndexedFiniteTransform
{
    private readonly int _n, _m, _axis;

    /// <summary>Z_<paramref name="baseLength"/> acting on an axis of <paramref name="length"/>.</summary>
    public ResampledCyclicShift(int baseLength, int length, int axis = -1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        (_n, _m, _axis) = (baseLength, length, axis);
    }

    /// <inheritdoc />
    public override string Name => $"roll (length {_n} mapped to {_m})";
    /// <inheritdoc />
    public override FiniteGroup Group => _group ??= new CyclicGroup(_n, k => $"cyclic shift by {k} at length {_n}, {MappedShift(k)} at length {_m}");
    private CyclicGroup? _group;

    /// <summary>Whether element <paramref name="index"/> maps to a shift at length m exactly.</summary>
    public bool IsExact(int index) => (long)index * _m % _n == 0;

    private long MappedShift(int index) => (long)index * _m / _n;

    /// <inheritdoc />
    protected override Tensor ApplyElement(Tensor x, int index)
    {
        long d = Axes.Resolve(x, _axis, Name);
        if (x.size((int)d) != _m)
            throw new ArgumentException($"roll: axis {_axis} has length {x.size((int)d)}, this mapping was built for {_m}.", nameof(x));
        return x.roll(MappedShift(index), d);
    }
}
