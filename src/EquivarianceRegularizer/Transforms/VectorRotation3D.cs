using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Transforms;

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
