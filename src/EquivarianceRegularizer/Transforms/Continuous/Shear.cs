namespace EquivarianceRegularizer.Transforms;

/// <summary>Horizontal shear u ↦ u + t·v about the centre.</summary>
internal sealed class Shear : AffineFlowTransform
{
    /// <summary>Creates it; default range ±0.2.</summary>
    public Shear(ParameterRange? range = null, ImageFlowOptions? options = null)
        : base("shear", new RealGroup(range ?? ParameterRange.Symmetric(0.2), describe: ContinuousGroup.DescribedAs("shear")), new double[,] { { 0, 1, 0 }, { 0, 0, 0 } }, options) { }
}
