using System.Globalization;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Hue: rotation of the RGB vector by t radians about the gray axis (1, 1, 1)/√3, which keeps the mean intensity
/// and turns the chroma; generator G·v = n × v. Periodic with period 2π. RGB only.
/// </summary>
internal sealed class Hue : ChannelFlowTransform
{
    /// <summary>Creates it; default range ±π/6.</summary>
    public Hue(ParameterRange? range = null) : base("hue", new PlaneRotationGroup(range ?? ParameterRange.Symmetric(Math.PI / 6), ContinuousGroup.DescribedAs("hue"))) { }

    /// <inheritdoc/>
    public override double[,] GeneratorFor(long channels)
    {
        double a = 1 / Math.Sqrt(3);
        return RequireRgb(channels, new double[,] { { 0, -a, a }, { a, 0, -a }, { -a, a, 0 } });
    }
}
