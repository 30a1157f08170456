namespace EquivarianceRegularizer.Transforms;

/// <summary>Uniform scaling about the centre by the factor e^t (content grows for t &gt; 0).</summary>
internal sealed class Scaling : AffineFlowTransform
{
    /// <summary>Creates it; default range ±0.2 (factors 0.82…1.22).</summary>
    public Scaling(ParameterRange? range = null, ImageFlowOptions? options = null)
        : base("scale", new RealGroup(range ?? ParameterRange.Symmetric(0.2), describe: ContinuousGroup.DescribedAs("scale")), new double[,] { { 1, 0, 0 }, { 0, 1, 0 } }, options) { }
}
