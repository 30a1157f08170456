namespace EquivarianceRegularizer.Transforms;

/// <summary>Translation along the height (v): content moves down for t &gt; 0; t in frame units.</summary>
internal sealed class TranslationY : AffineFlowTransform
{
    /// <summary>Creates it; default range ±0.25 frame units.</summary>
    public TranslationY(ParameterRange? range = null, ImageFlowOptions? options = null)
        : base("translate-y", new RealGroup(range ?? ParameterRange.Symmetric(0.25), describe: ContinuousGroup.DescribedAs("translate-y")), new double[,] { { 0, 0, 0 }, { 0, 0, 1 } }, options) { }
}
