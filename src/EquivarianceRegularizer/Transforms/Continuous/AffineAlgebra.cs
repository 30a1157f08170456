namespace EquivarianceRegularizer.Transforms;

/// <summary>Small dense-matrix helpers (double precision) for one-parameter groups exp(tA).</summary>
internal static class AffineAlgebra
{
    public static double[,] Identity(int n)
    {
        var r = new double[n, n];
        for (int i = 0; i < n; i++) r[i, i] = 1;
        return r;
    }

    public static double[,] Scale(double[,] a, double s)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var r = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) r[i, j] = a[i, j] * s;
        return r;
    }

    /// <summary>A 2×3 generator [L | b] as the 3×3 matrix [[L, b], [0, 0, 0]].</summary>
    public static double[,] Homogeneous(double[,] generator2x3, double t)
    {
        var r = new double[3, 3];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) r[i, j] = generator2x3[i, j] * t;
        return r;
    }

    public static double[,] Copy(double[,] a) => (double[,])a.Clone();
}
