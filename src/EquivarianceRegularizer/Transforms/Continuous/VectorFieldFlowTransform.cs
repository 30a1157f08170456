
namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// The flow of a user-given vector field Y(u, v) on the image plane (frame coordinates of
/// <see cref="ImageFlowTransform"/>; Y returns the velocity (du/dt, dv/dt) in frame units). Apply integrates the
/// flow backwards (g_t⁻¹·p) with classical Runge–Kutta steps; Tangent is −∇x·Y exactly as for the built-in flows.
/// Use it to measure Lie derivatives along generators the library does not ship (e.g. a swirl or a radial warp).
/// </summary>
internal sealed class VectorFieldFlowTransform : ImageFlowTransform
{
    private readonly Func<double, double, (double du, double dv)> _field;

    /// <summary>Creates the flow of <paramref name="field"/>; <paramref name="steps"/> RK4 steps per unit |t| (at least 4 per call).</summary>
    public VectorFieldFlowTransform(string name, Func<double, double, (double du, double dv)> field, ParameterRange range,
        ImageFlowOptions? options = null, int steps = 32)
        : base(name, new RealGroup(range, describe: ContinuousGroup.DescribedAs(name)), options)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Needs at least one RK4 step per unit t.");
        _field = field;
        StepsPerUnit = steps;
    }

    /// <summary>RK4 steps per unit of |t|.</summary>
    public int StepsPerUnit { get; }

    /// <summary>The velocity (frame units per unit t) at frame point (u, v).</summary>
    public (double du, double dv) Velocity(double u, double v) => _field(u, v);

    /// <inheritdoc/>
    public override (Tensor u, Tensor v) PixelVelocity(long height, long width, ScalarType dtype)
    {
        double unit = FrameUnitPixels(width);
        var yu = new double[height * width];
        var yv = new double[height * width];
        for (long i = 0; i < height; i++)
            for (long j = 0; j < width; j++)
            {
                var (du, dv) = Checked(_field((j - (width - 1) / 2.0) / unit, (i - (height - 1) / 2.0) / unit));
                yu[i * width + j] = du * unit;
                yv[i * width + j] = dv * unit;
            }
        using var scope = NewDisposeScope();
        return (tensor(yu, new[] { height, width }).to(dtype, copy: true).MoveToOuterDisposeScope(),
                tensor(yv, new[] { height, width }).to(dtype, copy: true).MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override Tensor SamplingGrid(double[][] parameters, long height, long width, ScalarType dtype)
    {
        int n = parameters.Length;
        double unitW = FrameUnitPixels(width);
        double unitH = Options.AlignCorners ? (height - 1) / 2.0 : height / 2.0;
        var grid = new double[n * height * width * 2];
        for (int s = 0; s < n; s++)
        {
            double t = parameters[s][0];
            int steps = Math.Max(4, (int)Math.Ceiling(Math.Abs(t) * StepsPerUnit));
            double h = -t / steps; // integrate backwards: the output pixel p reads x at g_t⁻¹·p
            for (long i = 0; i < height; i++)
                for (long j = 0; j < width; j++)
                {
                    double u = (j - (width - 1) / 2.0) / unitW, v = (i - (height - 1) / 2.0) / unitW;
                    if (t != 0)
                    {
                        for (int k = 0; k < steps; k++)
                        {
                            var k1 = Checked(_field(u, v));
                            var k2 = Checked(_field(u + h / 2 * k1.du, v + h / 2 * k1.dv));
                            var k3 = Checked(_field(u + h / 2 * k2.du, v + h / 2 * k2.dv));
                            var k4 = Checked(_field(u + h * k3.du, v + h * k3.dv));
                            u += h / 6 * (k1.du + 2 * k2.du + 2 * k3.du + k4.du);
                            v += h / 6 * (k1.dv + 2 * k2.dv + 2 * k3.dv + k4.dv);
                        }
                    }
                    long o = ((s * height + i) * width + j) * 2;
                    grid[o] = u;
                    grid[o + 1] = v * unitW / unitH;
                }
        }
        using var scope = NewDisposeScope();
        return tensor(grid, new long[] { n, height, width, 2 }).to(dtype, copy: true).MoveToOuterDisposeScope();
    }

    private (double du, double dv) Checked((double du, double dv) y)
    {
        if (!double.IsFinite(y.du) || !double.IsFinite(y.dv))
            throw new InvalidOperationException($"The vector field of {Name} returned a non-finite velocity ({y.du}, {y.dv}).");
        return y;
    }
}
