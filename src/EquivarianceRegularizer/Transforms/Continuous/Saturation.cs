using System.Globalization;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Saturation: x ↦ gray + e^t·(x − gray) with gray = 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma, as
/// torchvision's adjust_saturation); generator G = I − 1·wᵀ, tangent x − gray(x). RGB only.
/// </summary>
internal sealed class Saturation : ChannelFlowTransform
{
    /// <summary>Luma weights.</summary>
    public static readonly double[] LumaWeights = { 0.299, 0.587, 0.114 };

    /// <summary>Creates it; default range ±0.3.</summary>
    public Saturation(ParameterRange? range = null) : base("saturation", new RealGroup(range ?? ParameterRange.Symmetric(0.3), describe: ContinuousGroup.DescribedAs("saturation"))) { }

    /// <inheritdoc/>
    public override double[,] GeneratorFor(long channels)
    {
        var g = new double[3, 3];
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 3; k++) g[r, k] = (r == k ? 1 : 0) - LumaWeights[k];
        return RequireRgb(channels, g);
    }
}
