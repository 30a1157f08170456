namespace EquivarianceRegularizer.Sampling;

/// <summary>The one standard-error helper: the regularizer's term estimates and every LEE use it.</summary>
internal static class SampleStatistics
{
    /// <summary>
    /// Mean and standard error of the mean (sample standard deviation with n − 1 / √n) of <paramref name="values"/>;
    /// NaN for no values, a standard error of 0 for one.
    /// </summary>
    public static (double mean, double standardError) MeanAndStandardError(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return (double.NaN, double.NaN);
        double mean = values.Average();
        if (values.Count == 1) return (mean, 0);
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(ss / (values.Count - 1) / values.Count));
    }

    /// <summary>The same for the per-sample values of a 1-D tensor (read as float64).</summary>
    public static (double mean, double standardError) MeanAndStandardErrorOf(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double[] read = values.detach().reshape(-1).to(ScalarType.Float64).data<double>().ToArray();
        return MeanAndStandardError(read);
    }
}
