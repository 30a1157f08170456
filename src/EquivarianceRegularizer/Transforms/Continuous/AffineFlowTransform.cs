namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A one-parameter affine group g_t = exp(tA) of the image plane, given by its Lie-algebra generator A: a 2×3
/// matrix [L | b] in the frame of <see cref="ImageFlowTransform"/> (the velocity at point p is Y(p) = L·p + b).
/// Use it directly for your own affine flows; the named transforms (rotation, scaling, …) are instances.
/// </summary>
internal class AffineFlowTransform : ImageFlowTransform
{
    private readonly double[,] _generator;

    /// <summary>
    /// Creates the flow exp(tA) for the 2×3 generator <paramref name="generator"/> = [L | b] (rows: u, v).
    /// </summary>
    public AffineFlowTransform(string name, double[,] generator, ParameterRange range, ImageFlowOptions? options = null)
        : this(name, new RealGroup(range, describe: ContinuousGroup.DescribedAs(name)), generator, options) { }

    /// <summary>The flow exp(tA) acting by <paramref name="group"/> (a named subgroup such as SO(2) for rotations).</summary>
    protected AffineFlowTransform(string name, ContinuousGroup group, double[,] generator, ImageFlowOptions? options)
        : base(name, group, options)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (generator.GetLength(0) != 2 || generator.GetLength(1) != 3)
            throw new ArgumentException($"An affine generator is a 2×3 matrix [L | b], got {generator.GetLength(0)}×{generator.GetLength(1)}.", nameof(generator));
        foreach (var a in generator)
            if (!double.IsFinite(a)) throw new ArgumentException("The generator has a non-finite entry.", nameof(generator));
        _generator = AffineAlgebra.Copy(generator);
    }

    /// <summary>The Lie-algebra generator [L | b] (a copy), 2×3, frame coordinates.</summary>
    public double[,] Generator => AffineAlgebra.Copy(_generator);

    /// <summary>The group element for the given parameters as a 3×3 homogeneous matrix in frame coordinates.</summary>
    public virtual double[,] GroupMatrix(IReadOnlyList<double> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count != 1) throw new ArgumentException($"{Name} takes one parameter, got {parameters.Count}.", nameof(parameters));
        var m = MatrixExponential.Of(AffineAlgebra.Homogeneous(_generator, parameters[0]));
        m[2, 0] = 0; m[2, 1] = 0; m[2, 2] = 1;
        return m;
    }

    /// <inheritdoc/>
    public override (Tensor u, Tensor v) PixelVelocity(long height, long width, ScalarType dtype) =>
        VelocityOf(_generator, height, width, dtype);

    /// <summary>The pixel velocity of an affine generator [L | b].</summary>
    protected (Tensor u, Tensor v) VelocityOf(double[,] a, long height, long width, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(a);
        using var scope = NewDisposeScope();
        var (u, v) = FrameCoordinates(height, width, dtype);
        double unit = FrameUnitPixels(width);
        var yu = (u * (a[0, 0] * unit) + v * (a[0, 1] * unit) + a[0, 2] * unit).expand(height, width);
        var yv = (u * (a[1, 0] * unit) + v * (a[1, 1] * unit) + a[1, 2] * unit).expand(height, width);
        return (yu.MoveToOuterDisposeScope(), yv.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override Tensor SamplingGrid(double[][] parameters, long height, long width, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int n = parameters.Length;
        double unitW = FrameUnitPixels(width);
        double unitH = Options.AlignCorners ? (height - 1) / 2.0 : height / 2.0;
        var d = new[] { 1.0, unitW / unitH };
        var theta = new double[n * 6];
        for (int i = 0; i < n; i++)
        {
            var inv = InverseAffine(GroupMatrix(parameters[i]));
            // Frame (u, v) → affine_grid's normalized (u, v·unitW/unitH): θ = D·g⁻¹·D⁻¹.
            for (int r = 0; r < 2; r++)
            {
                theta[i * 6 + r * 3 + 0] = d[r] * inv[r, 0] / d[0];
                theta[i * 6 + r * 3 + 1] = d[r] * inv[r, 1] / d[1];
                theta[i * 6 + r * 3 + 2] = d[r] * inv[r, 2];
            }
        }
        using var scope = NewDisposeScope();
        var t = tensor(theta, new long[] { n, 2, 3 }).to(dtype);
        return nn.functional.affine_grid(t, new long[] { n, 1, height, width }, Options.AlignCorners).MoveToOuterDisposeScope();
    }

    private static double[,] InverseAffine(double[,] m)
    {
        double a = m[0, 0], b = m[0, 1], c = m[1, 0], e = m[1, 1];
        double det = a * e - b * c;
        if (Math.Abs(det) < 1e-300 || !double.IsFinite(det))
            throw new InvalidOperationException("The affine group element is singular.");
        double ia = e / det, ib = -b / det, ic = -c / det, ie = a / det;
        return new double[,]
        {
            { ia, ib, -(ia * m[0, 2] + ib * m[1, 2]) },
            { ic, ie, -(ic * m[0, 2] + ie * m[1, 2]) },
            { 0, 0, 1 },
        };
    }
}
