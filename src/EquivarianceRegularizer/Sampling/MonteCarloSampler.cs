using System.Numerics;

namespace EquivarianceRegularizer.Sampling;

/// <summary>Plain Monte Carlo: independent uniform points.</summary>
public sealed class MonteCarloSampler : IPointSampler
{
    /// <summary>The shared instance.</summary>
    public static MonteCarloSampler Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "monte-carlo";

    /// <inheritdoc />
    public Tensor SampleUnitCube(long n, long dimensions, Generator generator, ScalarType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        generator.RequireLive(nameof(generator));
        AllocationGuard.EnsureFits(new[] { n, dimensions }, dtype, "n");
        return rand(new[] { n, dimensions }, dtype: dtype, generator: generator);
    }
}
