using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// SO(3) acting on 3-vectors along one sample axis. Sampling is Haar-uniform: the QR decomposition (MathNet) of a
/// Gaussian matrix with the signs of R's diagonal moved into Q, then a reflection removed. Element rows are the
/// rotation matrices (float64, batch × 9, row-major). The one-parameter subgroup is the rotation about the
/// <c>generatorAxis</c> (0 = x, 1 = y, 2 = z) with generator L_k (L_k v = e_k × v).
/// </summary>
internal sealed class VectorRotation3D : VectorRotation
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

    /// <summary>SO(3), Haar-sampled.</summary>
    public override Group Group { get; } = new SpaceRotationGroup();

    /// <inheritdoc />
    public override Matrix<double> Generator { get; }

    /// <summary>Elements for given rotation matrices (each 3×3 orthogonal with determinant 1).</summary>
    public GroupElements Elements(params Matrix<double>[] rotations) => ((SpaceRotationGroup)Group).Elements(rotations);

    /// <inheritdoc />
    public override Tensor Matrices(GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        using var v = elements.Values.to(ScalarType.Float64);
        return v.reshape(-1, 3, 3);
    }
}
