namespace EquivarianceRegularizer.Groups;

/// <summary>
/// The cyclic group C_n = Z_n: element k is the generator applied k times (rotations by k quarter turns in C4, cyclic
/// shifts by k in Z_n, a flip in C2); k·l = k + l mod n.
/// </summary>
internal sealed class CyclicGroup : FiniteGroup
{
    /// <summary>C_<paramref name="order"/>; <paramref name="describe"/> names element k in reports.</summary>
    public CyclicGroup(int order, Func<int, string>? describe = null) : base($"C{order}", order, describe) { }

    /// <inheritdoc/>
    protected override Tensor ComposeIndices(Tensor a, Tensor b) => (a + b).remainder(Order);

    /// <inheritdoc/>
    protected override Tensor InverseIndices(Tensor g) => (Order - g).remainder(Order);
}
