
namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>What the end-to-end phase produced: the untransformed output, the identity check and the measurements.</summary>
/// <param name="Y">f(x) in float64.</param>
/// <param name="IdentityRelativeError">Relative error at the identity element (NaN when the output action could not run).</param>
/// <param name="OutputActionError">Why the output action cannot be applied, or null.</param>
/// <param name="Data">The raw measurements, or null when the output action failed.</param>
/// <param name="Result">The end-to-end result, or null when the output action failed.</param>
internal sealed record EndToEndOutcome(Tensor Y, double IdentityRelativeError, string? OutputActionError, EndToEndData? Data, EndToEndResult? Result)
{
    /// <summary>The plan index of the element with the largest relative error (0 when nothing was measured).</summary>
    public int WorstElement => Data is null ? 0 : Data.Index[Data.WorstEntry()].Element;
}
