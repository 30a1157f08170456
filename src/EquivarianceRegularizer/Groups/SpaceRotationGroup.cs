using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Groups;

/// <summary>SO(3), rotations of space: an element is a 3×3 rotation matrix, nine float64 values (row-major) per sample.</summary>
public sealed class SpaceRotationGroup : Group
{
    /// <summary>SO(3).</summary>
    public SpaceRotationGroup() : base("SO(3)") { }

    /// <summary>Haar-random rotations: the QR decomposition of a Gaussian matrix with R's diagonal made positive
    /// (Mezzadri 2007, "How to generate random matrices from the classical compact groups"), then det = +1.</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        double[] g;
        using (var gauss = randn(new[] { batch, 9L }, dtype: ScalarType.Float64, generator: generator)) g = gauss.data<double>().ToArray();
        var flat = new double[batch * 9];
        for (long b = 0; b < batch; b++)
        {
            var m = Matrix<double>.Build.Dense(3, 3, (i, j) => g[b * 9 + i * 3 + j]);
            Array.Copy(HaarFromGaussian(m).ToRowMajorArray(), 0, flat, b * 9, 9);
        }
        return Wrap(flat, batch);
    }

    /// <summary>Haar-distributed rotation from a 3×3 standard Gaussian matrix.</summary>
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

    /// <summary>Elements for given rotation matrices (each 3×3 orthogonal with determinant 1).</summary>
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

    /// <inheritdoc/>
    protected override object Structure => 3;

    private GroupElements Wrap(double[] flat, long batch) =>
        new(this, tensor(flat, new[] { batch, 9L }), i =>
        {
            // Axis-angle for reports: θ = acos((tr R − 1)/2).
            double tr = flat[i * 9] + flat[i * 9 + 4] + flat[i * 9 + 8];
            double angle = Math.Acos(Math.Clamp((tr - 1) / 2, -1, 1)) * 180 / Math.PI;
            return "rotation by " + angle.ToString("F1", CultureInfo.InvariantCulture) + "°";
        });
}
