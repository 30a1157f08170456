namespace EquivarianceRegularizer.Groups;

/// <summary>
/// The additive group R^d (translations; for d = 1 also log-scales, shears, brightness shifts, any one-parameter
/// flow): g_s·g_t = g_{s+t}. Transforms of R^d of the same d share the drawn parameters.
/// </summary>
internal sealed class RealGroup : ContinuousGroup
{
    /// <summary>R^<paramref name="dimension"/>, each parameter drawn uniformly from <paramref name="range"/>.</summary>
    /// <param name="range">The interval each parameter comes from.</param>
    /// <param name="dimension">d (default 1).</param>
    /// <param name="generator">The one-parameter subgroup's direction (length d; default the first axis).</param>
    /// <param name="describe">Names one element's parameters in reports.</param>
    public RealGroup(ParameterRange range, int dimension = 1, double[]? generator = null, Func<double[], string>? describe = null)
        : base(dimension == 1 ? "R" : $"R^{dimension}", dimension, range, generator ?? FirstAxis(dimension), describe)
    {
        if (Generator.Count != dimension)
            throw new ArgumentException($"The generator of R^{dimension} has {dimension} components, got {Generator.Count}.", nameof(generator));
    }

    private static double[] FirstAxis(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        var g = new double[dimension];
        g[0] = 1;
        return g;
    }
}
