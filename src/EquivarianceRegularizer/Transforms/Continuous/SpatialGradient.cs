using System.Collections.Concurrent;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Spatial derivatives of N×C×H×W images in pixel units: ∂x/∂column and ∂x/∂row, by central differences (with
/// a padding mode at the border) or by the band-limited Fourier derivative.
/// </summary>
internal static class SpatialGradient
{
    private static readonly ConcurrentDictionary<long, double[]> s_fourier = new();

    /// <summary>
    /// (∂x/∂u, ∂x/∂v): derivatives along the width (columns, u) and the height (rows, v), per pixel, in units of
    /// value per pixel.
    /// </summary>
    public static (Tensor du, Tensor dv) Compute(Tensor x, SpatialDerivative method = SpatialDerivative.CentralDifference,
        ImagePadding padding = ImagePadding.Zeros, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        ImageFlowTransform.CheckImage(x, nameof(x));
        using var scope = NewDisposeScope();
        Tensor du, dv;
        if (method == SpatialDerivative.Fourier)
        {
            long h = x.size(2), w = x.size(3);
            var dw = FourierMatrix(w, x.dtype).OnDevice(x.device);
            var dh = h == w ? dw : FourierMatrix(h, x.dtype).OnDevice(x.device);
            du = x.matmul(dw.transpose(0, 1));
            dv = dh.matmul(x);
        }
        else
        {
            var mode = padding switch
            {
                ImagePadding.Zeros => PaddingModes.Constant,
                ImagePadding.Border => PaddingModes.Replicate,
                // grid_sample mirrors about the outer pixel edge when align_corners is false (x[-1] = x[0]),
                // about the border pixel's centre when it is true (x[-1] = x[1]).
                ImagePadding.Reflection => alignCorners ? PaddingModes.Reflect : PaddingModes.Replicate,
                ImagePadding.Circular => PaddingModes.Circular,
                _ => throw new ArgumentOutOfRangeException(nameof(padding), padding, "Unknown padding."),
            };
            long h = x.size(2), w = x.size(3);
            var pu = nn.functional.pad(x, new long[] { 1, 1, 0, 0 }, mode);
            du = (pu.narrow(3, 2, w) - pu.narrow(3, 0, w)) * 0.5;
            var pv = nn.functional.pad(x, new long[] { 0, 0, 1, 1 }, mode);
            dv = (pv.narrow(2, 2, h) - pv.narrow(2, 0, h)) * 0.5;
        }
        return (du.MoveToOuterDisposeScope(), dv.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The n×n periodic spectral differentiation matrix in pixel units: row a holds the weights of
    /// d/dj of the trigonometric interpolant at sample a. Real and antisymmetric, so it only rotates Fourier phases.
    /// </summary>
    public static Tensor FourierMatrix(long n, ScalarType dtype = ScalarType.Float64)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "The Fourier derivative needs at least 2 samples.");
        var data = s_fourier.GetOrAdd(n, static n =>
        {
            var d = new double[n * n];
            for (long a = 0; a < n; a++)
                for (long b = 0; b < n; b++)
                {
                    if (a == b) continue;
                    long k = a - b;
                    double angle = Math.PI * k / n;
                    double sign = (k & 1) == 0 ? 1 : -1;
                    d[a * n + b] = Math.PI / n * sign * (n % 2 == 0 ? 1 / Math.Tan(angle) : 1 / Math.Sin(angle));
                }
            return d;
        });
        using var t = tensor(data, new[] { n, n });
        return t.to(dtype, copy: true);
    }
}
