using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Rotations acting on one sample axis of length d that holds vector components (e.g. the (x, y) or (x, y, z)
/// coordinates of points, velocities, forces): y[..., i, ...] = Σ_j R_ij x[..., j, ...], one R per sample.
/// Exact (no interpolation). Subclasses define the group, its Haar sampling and its one-parameter subgroup.
/// </summary>
public abstract class VectorRotation : IContinuousTransform
{
    private readonly int _axis;

    /// <summary>Rotates the vectors held along sample axis <paramref name="axis"/> (negative counts from the end).</summary>
    protected VectorRotation(int axis) => _axis = axis;

    /// <summary>Dimension of the rotated vectors (2 or 3).</summary>
    public abstract int Dimension { get; }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Group { get; }

    /// <inheritdoc />
    public bool IsExactOnGrid => true;

    /// <summary>The Lie-algebra generator X of the one-parameter subgroup exp(tX) (a d×d antisymmetric matrix).</summary>
    public abstract Matrix<double> Generator { get; }

    /// <inheritdoc />
    public abstract GroupElements Sample(long batch, Generator generator);

    /// <summary>The rotation matrices of <paramref name="elements"/>: batch × d × d, float64.</summary>
    public abstract Tensor Matrices(GroupElements elements);

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        Axes.CheckApply(this, x, elements);
        using var r = Matrices(elements);
        return ApplyMatrices(x, r);
    }

    /// <summary>Rotates every sample by the same element exp(tX).</summary>
    public Tensor ApplyAt(Tensor x, double t)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!double.IsFinite(t)) throw new ArgumentOutOfRangeException(nameof(t), t, "t must be finite.");
        var r = Exp(Generator.Multiply(t));
        using var scope = NewDisposeScope();
        var m = ToTensor(r).unsqueeze(0).expand(x.size(0), Dimension, Dimension);
        return ApplyMatrices(x, m).MoveToOuterDisposeScope();
    }

    /// <summary>X applied to the vectors of x (the derivative of exp(tX)x at t = 0).</summary>
    public Tensor Tangent(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        var m = ToTensor(Generator).unsqueeze(0).expand(x.size(0), Dimension, Dimension);
        return ApplyMatrices(x, m).MoveToOuterDisposeScope();
    }

    /// <summary>The matrix exponential of an antisymmetric 2×2 or 3×3 matrix (Rodrigues' formula).</summary>
    public static Matrix<double> Exp(Matrix<double> omega)
    {
        ArgumentNullException.ThrowIfNull(omega);
        int d = omega.RowCount;
        if (d != omega.ColumnCount || (d != 2 && d != 3))
            throw new ArgumentException($"Exp needs a 2×2 or 3×3 matrix, got {omega.RowCount}×{omega.ColumnCount}.", nameof(omega));
        if ((omega + omega.Transpose()).FrobeniusNorm() > 1e-12 * Math.Max(1, omega.FrobeniusNorm()))
            throw new ArgumentException("Exp expects an antisymmetric matrix (an element of so(d)).", nameof(omega));
        double theta = d == 2 ? Math.Abs(omega[1, 0]) : Math.Sqrt(omega[2, 1] * omega[2, 1] + omega[0, 2] * omega[0, 2] + omega[1, 0] * omega[1, 0]);
        var id = Matrix<double>.Build.DenseIdentity(d);
        if (theta < 1e-12) return id + omega;
        // exp(Ω) = I + sin θ/θ Ω + (1 − cos θ)/θ² Ω² (exact for so(2) and so(3)).
        return id + omega.Multiply(Math.Sin(theta) / theta) + (omega * omega).Multiply((1 - Math.Cos(theta)) / (theta * theta));
    }

    /// <summary>A d×d MathNet matrix as a float64 tensor.</summary>
    protected static Tensor ToTensor(Matrix<double> m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return tensor(m.ToRowMajorArray(), new long[] { m.RowCount, m.ColumnCount });
    }

    private Tensor ApplyMatrices(Tensor x, Tensor matrices)
    {
        long d = Axes.Resolve(x, _axis, Name);
        if (x.size((int)d) != Dimension)
            throw new ArgumentException($"{Name}: axis {_axis} has length {x.size((int)d)}, expected {Dimension} vector components.", nameof(x));
        using var scope = NewDisposeScope();
        int nd = x.Rank();
        var order = Enumerable.Range(0, nd).Where(i => i != d).Append((int)d).Select(i => (long)i).ToArray();
        var inverse = new long[nd];
        for (int i = 0; i < nd; i++) inverse[order[i]] = i;
        var moved = x.permute(order);
        var movedShape = moved.shape;
        var rows = moved.reshape(x.size(0), -1, Dimension);
        var r = matrices.to(x.dtype);
        var y = rows.matmul(r.transpose(1, 2)).reshape(movedShape).permute(inverse).contiguous();
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// SO(2) acting on 2-vectors along one sample axis: counterclockwise rotation by θ, Haar-random (θ uniform in
/// [−π, π)). Element rows are θ (float64, batch × 1). The generator is J = [[0, −1], [1, 0]]. Its default group
/// "SO(2)" and convention match the image <see cref="Rotation"/> (counter-clockwise as displayed) for vectors whose
/// components are (x right, y up): with the image rotation as f_in and this as f_out, both act by the same drawn
/// angle per sample (e.g. a model predicting a direction or a centroid from an image).
/// </summary>
public sealed class VectorRotation2D(int axis = -1, string group = "SO(2)") : VectorRotation(axis)
{
    /// <inheritdoc />
    public override int Dimension => 2;

    /// <inheritdoc />
    public override string Name => "so2-vector";

    /// <inheritdoc />
    public override string Group { get; } = !string.IsNullOrEmpty(group) ? group : throw new ArgumentException("A group name is required.", nameof(group));

    /// <inheritdoc />
    public override Matrix<double> Generator { get; } = Matrix<double>.Build.DenseOfArray(new double[,] { { 0, -1 }, { 1, 0 } });

    /// <inheritdoc />
    public override GroupElements Sample(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentNullException.ThrowIfNull(generator);
        using var scope = NewDisposeScope();
        var theta = (rand(new[] { batch, 1L }, dtype: ScalarType.Float64, generator: generator) * (2 * Math.PI) - Math.PI).MoveToOuterDisposeScope();
        var values = theta.ToArrayDouble();
        return new GroupElements(Group, theta, i => $"rotation by {values[i] * 180 / Math.PI:F1}°");
    }

    /// <summary>Elements for given angles (radians).</summary>
    public GroupElements Elements(params double[] angles)
    {
        ArgumentNullException.ThrowIfNull(angles);
        if (angles.Length == 0) throw new ArgumentException("Needs at least one angle.", nameof(angles));
        return new GroupElements(Group, tensor(angles, new long[] { angles.Length, 1 }), i => $"rotation by {angles[i] * 180 / Math.PI:F1}°");
    }

    /// <inheritdoc />
    public override Tensor Matrices(GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        using var scope = NewDisposeScope();
        var theta = elements.Values.to(ScalarType.Float64).reshape(-1);
        var c = theta.cos();
        var s = theta.sin();
        var m = stack(new[] { c, -s, s, c }, 1).view(-1, 2, 2);
        return m.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// SO(3) acting on 3-vectors along one sample axis. Sampling is Haar-uniform: the QR decomposition (MathNet) of a
/// Gaussian matrix with the signs of R's diagonal moved into Q, then a reflection removed. Element rows are the
/// rotation matrices (float64, batch × 9, row-major). The one-parameter subgroup is the rotation about the
/// <c>generatorAxis</c> (0 = x, 1 = y, 2 = z) with generator L_k (L_k v = e_k × v).
/// </summary>
public sealed class VectorRotation3D : VectorRotation
{
    /// <summary>Rotates the 3-vectors along sample axis <paramref name="axis"/>; the subgroup used by ApplyAt/Tangent turns about <paramref name="generatorAxis"/>.</summary>
    public VectorRotation3D(int axis = -1, int generatorAxis = 2) : base(axis)
    {
        if (generatorAxis is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(generatorAxis), generatorAxis, "The generator axis is 0 (x), 1 (y) or 2 (z).");
        GeneratorAxis = generatorAxis;
        Generator = Generators[generatorAxis];
    }

    /// <summary>The basis L_x, L_y, L_z of so(3): (L_k)_ij = −ε_kij, so L_k v = e_k × v.</summary>
    public static IReadOnlyList<Matrix<double>> Generators { get; } = new[]
    {
        Matrix<double>.Build.DenseOfArray(new double[,] { { 0, 0, 0 }, { 0, 0, -1 }, { 0, 1, 0 } }),
        Matrix<double>.Build.DenseOfArray(new double[,] { { 0, 0, 1 }, { 0, 0, 0 }, { -1, 0, 0 } }),
        Matrix<double>.Build.DenseOfArray(new double[,] { { 0, -1, 0 }, { 1, 0, 0 }, { 0, 0, 0 } }),
    };

    /// <summary>The axis (0, 1, 2) of the one-parameter subgroup.</summary>
    public int GeneratorAxis { get; }

    /// <inheritdoc />
    public override int Dimension => 3;

    /// <inheritdoc />
    public override string Name => "so3-vector";

    /// <inheritdoc />
    public override string Group => "SO(3)";

    /// <inheritdoc />
    public override Matrix<double> Generator { get; }

    /// <summary>A Haar-random rotation from a 3×3 standard Gaussian matrix <paramref name="gaussian"/> (QR with sign fix).</summary>
    public static Matrix<double> HaarFromGaussian(Matrix<double> gaussian)
    {
        ArgumentNullException.ThrowIfNull(gaussian);
        var qr = gaussian.QR();
        var q = qr.Q.Clone();
        var r = qr.R;
        for (int j = 0; j < 3; j++)
            if (r[j, j] < 0) q.SetColumn(j, q.Column(j).Negate());
        if (q.Determinant() < 0) q.SetColumn(0, q.Column(0).Negate());
        return q;
    }

    /// <inheritdoc />
    public override GroupElements Sample(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentNullException.ThrowIfNull(generator);
        double[] g;
        using (var gauss = randn(new[] { batch, 9L }, dtype: ScalarType.Float64, generator: generator)) g = gauss.data<double>().ToArray();
        var flat = new double[batch * 9];
        for (long b = 0; b < batch; b++)
        {
            var m = Matrix<double>.Build.Dense(3, 3, (i, j) => g[b * 9 + i * 3 + j]);
            var q = HaarFromGaussian(m).ToRowMajorArray();
            Array.Copy(q, 0, flat, b * 9, 9);
        }
        return Wrap(flat, batch);
    }

    /// <summary>Elements for given rotation matrices (each must be orthogonal with determinant 1).</summary>
    public GroupElements Elements(params Matrix<double>[] rotations)
    {
        ArgumentNullException.ThrowIfNull(rotations);
        if (rotations.Length == 0) throw new ArgumentException("Needs at least one rotation.", nameof(rotations));
        var flat = new double[rotations.Length * 9];
        for (int b = 0; b < rotations.Length; b++)
        {
            var r = rotations[b];
            if (r.RowCount != 3 || r.ColumnCount != 3 || (r.TransposeThisAndMultiply(r) - Matrix<double>.Build.DenseIdentity(3)).FrobeniusNorm() > 1e-9 || r.Determinant() < 0)
                throw new ArgumentException($"Rotation {b} is not a 3×3 orthogonal matrix with determinant 1.", nameof(rotations));
            Array.Copy(r.ToRowMajorArray(), 0, flat, b * 9, 9);
        }
        return Wrap(flat, rotations.Length);
    }

    private GroupElements Wrap(double[] flat, long batch) =>
        new(Group, tensor(flat, new[] { batch, 9L }), i =>
        {
            // Axis-angle for reports: θ = acos((tr R − 1)/2).
            double tr = flat[i * 9] + flat[i * 9 + 4] + flat[i * 9 + 8];
            double angle = Math.Acos(Math.Clamp((tr - 1) / 2, -1, 1)) * 180 / Math.PI;
            return "rotation by " + angle.ToString("F1", CultureInfo.InvariantCulture) + "°";
        });

    /// <inheritdoc />
    public override Tensor Matrices(GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        using var v = elements.Values.to(ScalarType.Float64);
        return v.reshape(-1, 3, 3);
    }
}
