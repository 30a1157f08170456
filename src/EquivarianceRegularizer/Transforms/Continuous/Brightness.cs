using System.Globalization;

namespace EquivarianceRegularizer.Transforms;

/// <summary>Brightness: x ↦ e^t·x on every channel (generator G = I; tangent x). Any number of channels.</summary>
internal sealed class Brightness : ChannelFlowTransform
{
    /// <summary>Creates it; default range ±0.2 (factors 0.82…1.22).</summary>
    public Brightness(ParameterRange? range = null) : base("brightness", new RealGroup(range ?? ParameterRange.Symmetric(0.2), describe: ContinuousGroup.DescribedAs("brightness"))) { }

    /// <inheritdoc/>
    public override double[,] GeneratorFor(long channels)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Needs at least one channel.");
        return AffineAlgebra.Identity((int)channels);
    }
}
