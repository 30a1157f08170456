namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// The one matrix exponential of the library: libtorch's <c>torch.linalg.matrix_exp</c> in float64, for the affine
/// flows, the channel flows and the vector rotations alike (it replaced a hand-written Taylor series and a closed
/// Rodrigues form; the transform tests check it against closed forms: e^t scalings and rotations).
/// </summary>
internal static class MatrixExponential
{
    /// <summary>exp(<paramref name="m"/>) of a square matrix.</summary>
    public static double[,] Of(double[,] m) => Of(new[] { m })[0];

    /// <summary>exp of each of <paramref name="matrices"/> (all n×n), in one batched call.</summary>
    public static double[][,] Of(IReadOnlyList<double[,]> matrices)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        if (matrices.Count == 0) return Array.Empty<double[,]>();
        int n = matrices[0].GetLength(0);
        if (matrices.Any(m => m.GetLength(0) != n || m.GetLength(1) != n))
            throw new ArgumentException($"The matrix exponential needs square matrices of one size ({n}×{n}).", nameof(matrices));
        var flat = new double[matrices.Count * n * n];
        for (int b = 0; b < matrices.Count; b++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) flat[(b * n + i) * n + j] = matrices[b][i, j];
        double[] e;
        using (var scope = NewDisposeScope())
        using (no_grad())
            e = linalg.matrix_exp(tensor(flat, new long[] { matrices.Count, n, n }, ScalarType.Float64)).data<double>().ToArray();
        var result = new double[matrices.Count][,];
        for (int b = 0; b < matrices.Count; b++)
        {
            result[b] = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) result[b][i, j] = e[(b * n + i) * n + j];
        }
        return result;
    }
}
