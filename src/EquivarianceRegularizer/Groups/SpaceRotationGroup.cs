using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Groups;

/// <summary>SO(3), rotations of space: an element is a 3×3 rotation matrix, nine float64 values (row-major) per sample.</summary>
internal sealed class SpaceRotationGroup : Group
{
    /// <summary>SO(3).</summary>
    public SpaceRotationGroup() : base("SO(3)") { }

    /// <summary>
    /// Haar-random rotations, all samples at once: the QR decomposition (<c>linalg.qr</c>, batched) of Gaussian 3×3
    /// matrices with the signs of R's diagonal moved into Q (Mezzadri 2007, "How to generate random matrices from the
    /// classical compact groups"), which makes Q Haar on O(3); then a reflection removed by negating Q's first column
    /// where det Q = −1, which maps the Haar measure of O(3)'s other component onto SO(3)'s.
    /// </summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        using var scope = NewDisposeScope();
        var gauss = randn(new[] { batch, 3L, 3L }, dtype: ScalarType.Float64, generator: generator);
        return Wrap(HaarFromGaussian(gauss).reshape(batch, 9).MoveToOuterDisposeScope());
    }

    /// <summary>Haar-distributed rotations (batch × 3 × 3) from standard Gaussian matrices (batch × 3 × 3).</summary>
    internal static Tensor HaarFromGaussian(Tensor gaussian)
    {
        using var scope = NewDisposeScope();
        var (q, r) = linalg.qr(gaussian);
        var signs = r.diagonal(dim1: -2, dim2: -1).sign();
        // A zero on R's diagonal has probability zero; count it as positive so Q stays orthogonal.
        signs = where(signs.eq(0), ones_like(signs), signs);
        q = q * signs.unsqueeze(-2);
        var det = linalg.det(q).sign();
        var flip = stack(new[] { det, ones_like(det), ones_like(det) }, -1);
        return (q * flip.unsqueeze(-2)).MoveToOuterDisposeScope();
    }

    /// <summary>The identity matrix for every sample.</summary>
    public override GroupElements Identity(long batch, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        using var scope = NewDisposeScope();
        return Wrap(eye(3, dtype: ScalarType.Float64, device: device).reshape(1, 9).expand(batch, 9).contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>The transposed matrices.</summary>
    public override GroupElements Inverse(GroupElements elements)
    {
        using var scope = NewDisposeScope();
        var m = Own(elements).Values.to(ScalarType.Float64).view(-1, 3, 3);
        return Wrap(m.transpose(1, 2).reshape(-1, 9).MoveToOuterDisposeScope());
    }

    /// <summary>The matrix products A·B (B rotates first).</summary>
    public override GroupElements Compose(GroupElements a, GroupElements b)
    {
        long batch = ProductBatch(Own(a), Own(b));
        using var scope = NewDisposeScope();
        var ma = a.Values.to(ScalarType.Float64).view(-1, 3, 3);
        var mb = b.Values.OnDevice(a.Values.device).to(ScalarType.Float64).view(-1, 3, 3);
        return Wrap(ma.matmul(mb).expand(batch, 3, 3).reshape(batch, 9).MoveToOuterDisposeScope());
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
        return Wrap(tensor(flat, new[] { rotations.Length, 9L }));
    }

    /// <inheritdoc/>
    protected override object Structure => 3;

    private GroupElements Wrap(Tensor rows)
    {
        // Rotation angle θ = acos((tr R − 1)/2) per sample, for reports.
        var values = Readback<double>(rows);
        return new(this, rows, i =>
        {
            var flat = values();
            double tr = flat[i * 9] + flat[i * 9 + 4] + flat[i * 9 + 8];
            double angle = Math.Acos(Math.Clamp((tr - 1) / 2, -1, 1)) * 180 / Math.PI;
            return "rotation by " + angle.ToString("F1", CultureInfo.InvariantCulture) + "°";
        });
    }
}
