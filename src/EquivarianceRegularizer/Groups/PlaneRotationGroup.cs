namespace EquivarianceRegularizer.Groups;

/// <summary>SO(2), rotations of the plane by an angle in radians (image rotations, hue, 2-vector rotations).</summary>
internal sealed class PlaneRotationGroup : ContinuousGroup
{
    /// <summary>SO(2) with angles drawn uniformly from <paramref name="range"/> (default the whole circle).</summary>
    public PlaneRotationGroup(ParameterRange? range = null, Func<double[], string>? describe = null)
        : base("SO(2)", 1, range ?? ParameterRange.Symmetric(Math.PI), null, describe ?? (p => $"rotation by {p[0] * 180 / Math.PI:F1}°")) { }
}
