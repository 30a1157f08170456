using System.Numerics;

namespace EquivarianceRegularizer.Sampling;

/// <summary>Draws n points of the unit cube [0, 1)^d for a Monte Carlo integral.</summary>
public interface IPointSampler
{
    /// <summary>Name for reports ("monte-carlo", "sobol").</summary>
    string Name { get; }

    /// <summary>An n × d tensor of points in [0, 1)^d in <paramref name="dtype"/>; all randomness comes from <paramref name="generator"/>.</summary>
    Tensor SampleUnitCube(long n, long dimensions, Generator generator, ScalarType dtype);
}
