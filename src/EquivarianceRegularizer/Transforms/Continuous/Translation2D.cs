namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// 2-D translation: each sample draws (t_u, t_v) independently from the range (frame units). ApplyAt and Tangent
/// use the one-parameter subgroup along <see cref="Direction"/>.
/// </summary>
internal sealed class Translation2D : AffineFlowTransform
{
    /// <summary>Creates it; the direction (default (1, 1)/√2) is normalized.</summary>
    public Translation2D(ParameterRange? range = null, ImageFlowOptions? options = null, double directionU = 1, double directionV = 1)
        : base("translate", Plane(range ?? ParameterRange.Symmetric(0.25), directionU, directionV), DirectionGenerator(directionU, directionV), options)
    {
        double norm = Math.Sqrt(directionU * directionU + directionV * directionV);
        Direction = (directionU / norm, directionV / norm);
    }

    private static RealGroup Plane(ParameterRange range, double du, double dv)
    {
        double norm = Math.Sqrt(du * du + dv * dv);
        if (!(norm > 0) || !double.IsFinite(norm))
            throw new ArgumentException($"The direction must be a finite non-zero vector, got ({du}, {dv}).", nameof(du));
        return new RealGroup(range, 2, new[] { du / norm, dv / norm }, ContinuousGroup.DescribedAs("translate"));
    }

    private static double[,] DirectionGenerator(double du, double dv)
    {
        double norm = Math.Sqrt(du * du + dv * dv);
        if (!(norm > 0) || !double.IsFinite(norm))
            throw new ArgumentException($"The direction must be a finite non-zero vector, got ({du}, {dv}).", nameof(du));
        return new double[,] { { 0, 0, du / norm }, { 0, 0, dv / norm } };
    }

    /// <summary>The unit direction of the subgroup used by ApplyAt and Tangent.</summary>
    public (double u, double v) Direction { get; }

    /// <inheritdoc/>
    public override double[,] GroupMatrix(IReadOnlyList<double> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count != 2) throw new ArgumentException($"{Name} takes two parameters (t_u, t_v), got {parameters.Count}.", nameof(parameters));
        return new double[,] { { 1, 0, parameters[0] }, { 0, 1, parameters[1] }, { 0, 0, 1 } };
    }
}
