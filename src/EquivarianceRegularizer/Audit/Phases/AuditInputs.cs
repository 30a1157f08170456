using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>The inputs of an audit and the group elements drawn for them.</summary>
/// <param name="X">Float64 inputs, batch first (masked to the central disk when the transform interpolates).</param>
/// <param name="Plan">The group elements, one set per tested element (the caller disposes them).</param>
/// <param name="ElementSource">How the elements were chosen, for the report.</param>
internal sealed record AuditInputs(Tensor X, List<GroupElements> Plan, string ElementSource)
{
    /// <summary>Number of input samples.</summary>
    public long Count => X.size(0);
}
