namespace EquivarianceRegularizer.Groups;

/// <summary>
/// The dihedral group D_n of order 2n (symmetries of the regular n-gon). Element k &lt; n is the rotation r^k; element
/// n + k is r^k after the reflection s (s first, then r^k).
/// </summary>
public sealed class DihedralGroup : FiniteGroup
{
    /// <summary>D_<paramref name="n"/>; <paramref name="describe"/> names element k in reports.</summary>
    public DihedralGroup(int n, Func<int, string>? describe = null) : base($"D{n}", 2 * n, describe) => N = n;

    /// <summary>n: the number of rotations.</summary>
    public int N { get; }
}
