using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace EquivarianceRegularizer.Transforms;

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
