namespace EquivarianceRegularizer.Transforms;

/// <summary>Translation along the width (u): content moves right for t &gt; 0; t in frame units (2/W per pixel).</summary>
internal sealed class TranslationX : AffineFlowTransform
{
    /// <summary>Creates it; default range ±0.25 frame units (±W/8 pixels).</summary>
    public TranslationX(ParameterRange? range = null, ImageFlowOptions? options = null)
        : base("translate-x", new RealGroup(range ?? ParameterRange.Symmetric(0.25), describe: ContinuousGroup.DescribedAs("translate-x")), new double[,] { { 0, 0, 1 }, { 0, 0, 0 } }, options) { }
}
