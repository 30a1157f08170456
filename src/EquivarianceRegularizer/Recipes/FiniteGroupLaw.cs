namespace EquivarianceRegularizer.Recipes;

/// <summary>Inverses of the indexed finite groups' elements, as their transforms number them.</summary>
internal static class FiniteGroupLaw
{
    /// <summary>
    /// The index of element <paramref name="index"/>'s inverse: k ↦ (n − k) mod n in C_n (a rotation by k steps undone
    /// by n − k more); in D_n the rotations likewise, and every reflection (index ≥ n) is its own inverse.
    /// </summary>
    public static int Inverse(FiniteGroup group, int index)
    {
        if (index < 0 || index >= group.Order)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{group.Name} has elements 0..{group.Order - 1}.");
        return group switch
        {
            TrivialGroup => 0,
            CyclicGroup c => (c.Order - index) % c.Order,
            DihedralGroup d => index < d.N ? (d.N - index) % d.N : index,
            _ => throw new NotSupportedException(
                $"GroupAveraged does not know the inverses of {group.Name}'s elements; use an invariant output, or a cyclic or dihedral group."),
        };
    }
}
