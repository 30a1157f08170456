namespace EquivarianceRegularizer.Groups;

/// <summary>
/// The dihedral group D_n of order 2n (symmetries of the regular n-gon). Element k &lt; n is the rotation r^k; element
/// n + k is r^k·s, the reflection s first, then r^k. Since s·r^k = r^−k·s: (r^a s^f)(r^b s^h) = r^(a + (−1)^f b) s^(f+h).
/// </summary>
internal sealed class DihedralGroup : FiniteGroup
{
    /// <summary>D_<paramref name="n"/>; <paramref name="describe"/> names element k in reports.</summary>
    public DihedralGroup(int n, Func<int, string>? describe = null) : base($"D{n}", 2 * n, describe) => N = n;

    /// <summary>n: the number of rotations.</summary>
    public int N { get; }

    /// <inheritdoc/>
    protected override Tensor ComposeIndices(Tensor a, Tensor b)
    {
        var (ra, fa) = (a.remainder(N), a.div(N, rounding_mode: RoundingMode.floor));
        var (rb, fb) = (b.remainder(N), b.div(N, rounding_mode: RoundingMode.floor));
        var rotation = (ra + (1 - 2 * fa) * rb).remainder(N);
        return rotation + N * (fa + fb).remainder(2);
    }

    /// <inheritdoc/>
    protected override Tensor InverseIndices(Tensor g)
    {
        // A reflection r^k·s is its own inverse; a rotation r^k inverts to r^−k. (Arithmetic rather than where(),
        // which has no kernel on every device.)
        var f = g.div(N, rounding_mode: RoundingMode.floor);
        return f * g + (1 - f) * (N - g).remainder(N);
    }
}
