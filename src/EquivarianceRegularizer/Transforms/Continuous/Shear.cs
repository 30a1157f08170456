namespace EquivarianceRegularizer.Transforms;

/// <summary>Horizontal shear u ↦ u + t·v about the centre.</summary>
public sealed class Shear : AffineFlowTransform
{
    /// <summary>Creates it; default range ±0.2.</summary>
    public Shear(ParameterRange? range = null, ImageFlowOptions? options = null)
        : base("shear", "shear(x)", new double[,] { { 0, 1, 0 }, { 0, 0, 0 } }, range ?? ParameterRange.Symmetric(0.2), options) { }
}
