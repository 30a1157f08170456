namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A transform: a representation of a group acting on tensors whose first axis is the batch. It samples group
/// elements (one per sample) and applies given elements. Input and output transforms whose
/// <see cref="Group"/> is equal share drawn elements.
/// </summary>
public interface IGroupTransform
{
    /// <summary>Short name used in reports and on the command line (e.g. "rot90").</summary>
    string Name { get; }

    /// <summary>The group acting; transforms with the same group can share drawn elements.</summary>
    string Group { get; }

    /// <summary>Draws <paramref name="batch"/> elements (Haar/uniform over the group unless documented otherwise).</summary>
    GroupElements Sample(long batch, Generator generator);

    /// <summary>Applies sample i's element to x[i] for every i. x's first axis is the batch.</summary>
    Tensor Apply(Tensor x, GroupElements elements);
}
