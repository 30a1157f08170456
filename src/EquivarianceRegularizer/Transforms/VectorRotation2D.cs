using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// SO(2) acting on 2-vectors along one sample axis: counterclockwise rotation by θ, Haar-random (θ uniform in
/// [−π, π)). Element rows are θ (float64, batch × 1). The generator is J = [[0, −1], [1, 0]]. Its group
/// SO(2) and convention match the image <see cref="Rotation"/> (counter-clockwise as displayed) for vectors whose
/// components are (x right, y up): with the image rotation as f_in and this as f_out, both act by the same drawn
/// angle per sample (e.g. a model predicting a direction or a centroid from an image).
/// </summary>
internal sealed class VectorRotation2D(int axis = -1, PlaneRotationGroup? group = null) : VectorRotation(axis)
{
    /// <inheritdoc />
    public override int Dimension => 2;

    /// <inheritdoc />
    public override string Name => "so2-vector";

    /// <summary>SO(2); angles are drawn from the whole circle unless <c>group</c> says otherwise.</summary>
    public override Group Group { get; } = group ?? new PlaneRotationGroup();

    /// <inheritdoc />
    public override Matrix<double> Generator { get; } = Matrix<double>.Build.DenseOfArray(new double[,] { { 0, -1 }, { 1, 0 } });

    /// <summary>Elements for given angles (radians).</summary>
    public GroupElements Elements(params double[] angles)
    {
        ArgumentNullException.ThrowIfNull(angles);
        if (angles.Length == 0) throw new ArgumentException("Needs at least one angle.", nameof(angles));
        return ((PlaneRotationGroup)Group).Elements(tensor(angles, new long[] { angles.Length, 1 }));
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
