namespace EquivarianceRegularizer.Transforms;

/// <summary>A transform of a finite group: the audit enumerates its elements instead of sampling.</summary>
public interface IFiniteTransform : IGroupTransform
{
    /// <summary>Number of group elements, identity included.</summary>
    int Order { get; }

    /// <summary>Element <paramref name="index"/> (0 is the identity) repeated for a batch.</summary>
    GroupElements Element(int index, long batch);
}
