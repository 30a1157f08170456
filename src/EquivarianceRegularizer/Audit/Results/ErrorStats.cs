
namespace EquivarianceRegularizer.Audit;

/// <summary>Summary statistics of a list of errors (non-finite values are counted, not averaged).</summary>
/// <param name="Min">Smallest finite value.</param>
/// <param name="Mean">Mean of finite values.</param>
/// <param name="Max">Largest value (infinity when any value is not finite).</param>
/// <param name="Std">Standard deviation of finite values.</param>
/// <param name="Count">Number of values.</param>
/// <param name="NonFinite">Number of NaN or infinite values.</param>
public sealed record ErrorStats(double Min, double Mean, double Max, double Std, int Count, int NonFinite)
{
    /// <summary>Statistics of <paramref name="values"/>.</summary>
    public static ErrorStats Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToArray();
        int bad = values.Count - finite.Length;
        if (finite.Length == 0) return new(double.NaN, double.NaN, double.PositiveInfinity, double.NaN, values.Count, bad);
        double mean = finite.Average();
        double std = finite.Length > 1 ? Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1)) : 0;
        return new(finite.Min(), mean, bad > 0 ? double.PositiveInfinity : finite.Max(), std, values.Count, bad);
    }
}
