using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Rotations acting on one sample axis of length d that holds vector components (e.g. the (x, y) or (x, y, z)
/// coordinates of points, velocities, forces): y[..., i, ...] = Σ_j R_ij x[..., j, ...], one R per sample.
/// Exact (no interpolation). Subclasses define the group, its Haar sampling and its one-parameter subgroup.
/// </summary>
internal abstract class VectorRotation : IContinuousTransform
{
    private readonly int _axis;

    /// <summary>Rotates the vectors held along sample axis <paramref name="axis"/> (negative counts from the end).</summary>
    protected VectorRotation(int axis) => _axis = axis;

    /// <summary>Dimension of the rotated vectors (2 or 3).</summary>
    public abstract int Dimension { get; }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    /// <summary>The rotation group acting.</summary>
    public abstract Group Group { get; }

    /// <inheritdoc />
    public bool IsExactOnGrid => true;

    /// <summary>The Lie-algebra generator X of the one-parameter subgroup exp(tX) (a d×d antisymmetric matrix).</summary>
    public abstract Matrix<double> Generator { get; }

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

    /// <summary>The matrix exponential of an antisymmetric 2×2 or 3×3 matrix (a rotation), by the library's one matrix exponential.</summary>
    public static Matrix<double> Exp(Matrix<double> omega)
    {
        ArgumentNullException.ThrowIfNull(omega);
        int d = omega.RowCount;
        if (d != omega.ColumnCount || (d != 2 && d != 3))
            throw new ArgumentException($"Exp needs a 2×2 or 3×3 matrix, got {omega.RowCount}×{omega.ColumnCount}.", nameof(omega));
        if ((omega + omega.Transpose()).FrobeniusNorm() > 1e-12 * Math.Max(1, omega.FrobeniusNorm()))
            throw new ArgumentException("Exp expects an antisymmetric matrix (an element of so(d)).", nameof(omega));
        return Matrix<double>.Build.DenseOfArray(MatrixExponential.Of(omega.ToArray()));
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
        var r = matrices.to(x.dtype, x.device);
        var y = rows.matmul(r.transpose(1, 2)).reshape(movedShape).permute(inverse).contiguous();
        return y.MoveToOuterDisposeScope();
    }
}
