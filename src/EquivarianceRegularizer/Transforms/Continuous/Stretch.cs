namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Area-preserving stretch (u, v) ↦ (e^t u, e^−t v). The identity at t = 0 (parameterized by the log factor,
/// not by a factor 1 + t that some code applies as 1·t).
/// </summary>
internal sealed class Stretch : AffineFlowTransform
{
    /// <summary>Creates it; default range ±0.2.</summary>
    public Stretch(ParameterRange? range = null, ImageFlowOptions? options = null)
        : base("stretch", new RealGroup(range ?? ParameterRange.Symmetric(0.2), describe: ContinuousGroup.DescribedAs("stretch")), new double[,] { { 1, 0, 0 }, { 0, -1, 0 } }, options) { }
}
