using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A transform of a <see cref="FiniteGroup"/> (quarter turns, flips, D4, cyclic shifts, the identity): its group
/// enumerates the elements, so a check can test every one of them (<c>Group.Element(k, batch)</c>).
/// </summary>
public interface IFiniteTransform : IGroupTransform
{
    /// <summary>The finite group acting.</summary>
    new FiniteGroup Group { get; }
}
