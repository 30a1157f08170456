
namespace EquivarianceRegularizer.Audit;

/// <summary>The end-to-end test: f(T x) against T' f(x) over samples and group elements.</summary>
public sealed class EndToEndResult
{
    /// <summary>Number of input samples.</summary>
    public required int Samples { get; init; }

    /// <summary>Number of group elements tested per sample.</summary>
    public required int Elements { get; init; }

    /// <summary>How elements were chosen ("all 3 non-identity elements of C4", "4 Haar-random draws per sample", …).</summary>
    public required string ElementSource { get; init; }

    /// <summary>Relative error of the identity element (or of a repeated forward when the group has no enumerable identity).</summary>
    public required double IdentityRelativeError { get; init; }

    /// <summary>What the identity check compared.</summary>
    public required string IdentityCheck { get; init; }

    /// <summary>Absolute errors.</summary>
    public required ErrorStats Absolute { get; init; }

    /// <summary>Relative errors.</summary>
    public required ErrorStats Relative { get; init; }

    /// <summary>
    /// The sample and element with the largest relative error: the sample's index, the element described, the absolute
    /// error ‖f(Tx) − T'f(x)‖₂ over the sample's output and the relative error (absolute divided by ‖T'f(x)‖₂).
    /// </summary>
    public required (int Sample, string Element, double Absolute, double Relative) Worst { get; init; }

    /// <summary>Every relative error (sample-major within element), for the distribution plot.</summary>
    public required IReadOnlyList<double> RelativeErrors { get; init; }

    /// <summary>Mean output norm ‖f(x)‖ (zero means the test is vacuous).</summary>
    public required double MeanOutputNorm { get; init; }

    /// <summary>True when any output was NaN or infinite.</summary>
    public required bool NonFinite { get; init; }

    /// <summary>Spatial map of the output error when outputs are feature maps.</summary>
    public SpatialErrorMap? ErrorMap { get; init; }

    /// <summary>The grade of the largest relative error.</summary>
    public required ErrorGrade Grade { get; init; }
}

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
