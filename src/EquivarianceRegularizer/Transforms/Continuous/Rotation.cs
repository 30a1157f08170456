namespace EquivarianceRegularizer.Transforms;

/// <summary>Rotation about the image centre by t radians, counter-clockwise as displayed (rows grow downwards).</summary>
internal sealed class Rotation : AffineFlowTransform
{
    /// <summary>Creates it; default range ±π/6.</summary>
    public Rotation(ParameterRange? range = null, ImageFlowOptions? options = null)
        : base("rotate", new PlaneRotationGroup(range ?? ParameterRange.Symmetric(Math.PI / 6), ContinuousGroup.DescribedAs("rotate")), new double[,] { { 0, 1, 0 }, { -1, 0, 0 } }, options) { }
}
