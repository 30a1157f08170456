using System.Numerics;

namespace EquivarianceRegularizer.Sampling;

/// <summary>Maps unit-cube points into <see cref="Bounds"/>.</summary>
internal static class PointSampling
{
    /// <summary>
    /// n points of shape <paramref name="shape"/> (batch first: n × shape…) inside <paramref name="bounds"/>, in
    /// <paramref name="dtype"/>, drawn by <paramref name="sampler"/> from <paramref name="generator"/>.
    /// </summary>
    public static Tensor Sample(IPointSampler sampler, long n, long[] shape, Bounds bounds, Generator generator, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(bounds);
        generator.RequireLive(nameof(generator));
        long dims = shape.Aggregate(1L, (a, b) => a * b);
        using var scope = NewDisposeScope();
        var (lower, width) = bounds.Resolve(shape, dtype);
        var u = sampler.SampleUnitCube(n, dims, generator, dtype).view(new[] { n }.Concat(shape).ToArray());
        return (u * width + lower).MoveToOuterDisposeScope();
    }
}
