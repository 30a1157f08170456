using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A transform: the action of a <see cref="Groups.Group"/> on tensors whose first axis is the batch. The group draws
/// elements (one per sample); the transform applies given elements. Transforms of equal groups can act with the same
/// drawn elements, which is how a <see cref="Symmetry"/> acts on inputs and outputs alike.
/// </summary>
public interface IGroupTransform
{
    /// <summary>Short name used in reports and on the command line (e.g. "rot90").</summary>
    string Name { get; }

    /// <summary>The group acting; it samples (and, when finite, enumerates) the elements this transform applies.</summary>
    Group Group { get; }

    /// <summary>Applies sample i's element to x[i] for every i. x's first axis is the batch.</summary>
    Tensor Apply(Tensor x, GroupElements elements);
}
