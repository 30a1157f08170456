namespace EquivarianceRegularizer;

/// <summary>One term's measurement in an <see cref="EquivarianceEstimate"/>.</summary>
/// <param name="Name">The term's name.</param>
/// <param name="Index">Its index among the constructor's transforms.</param>
/// <param name="Error">Monte Carlo estimate of the (mean) equivariance error; E||L_X f||² for infinitesimal terms.</param>
/// <param name="StandardError">Standard error of <paramref name="Error"/> (sample std / √n; NaN when unknown or n = 1).</param>
/// <param name="Penalty">λ·max(0, error − ε) (or its per-sample hinge form).</param>
/// <param name="Samples">Number of points.</param>
public sealed record TermEstimate(string Name, int Index, double Error, double StandardError, double Penalty, long Samples)
{
    /// <summary>Samples left out of this call because they gave non-finite values (<see cref="NonFiniteSamples.Skip"/>).</summary>
    public long SkippedSamples { get; init; }
}
