
namespace EquivarianceRegularizer.Audit;

/// <summary>A spatial error map: mean |error| per pixel over samples, channels and elements.</summary>
/// <param name="Where">The tensor it was measured on (e.g. "model output" or a layer name).</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Values">Row-major values.</param>
public sealed record SpatialErrorMap(string Where, int Height, int Width, double[] Values)
{
    /// <summary>
    /// The largest ratio, over the four sides, of the mean of a side band of width <paramref name="band"/> to the mean
    /// of the interior (∞ when the interior is exact). Sides are taken apart because a shift along one axis
    /// only disturbs the two sides across that axis.
    /// </summary>
    public double BorderToInteriorRatio(int band)
    {
        if (Height <= 2 * band || Width <= 2 * band) return double.NaN;
        double interior = 0;
        int ni = 0;
        var sides = new double[4];
        var counts = new int[4];
        for (int i = 0; i < Height; i++)
        for (int j = 0; j < Width; j++)
        {
            double v = Values[i * Width + j];
            bool any = false;
            if (i < band) { sides[0] += v; counts[0]++; any = true; }
            if (i >= Height - band) { sides[1] += v; counts[1]++; any = true; }
            if (j < band) { sides[2] += v; counts[2]++; any = true; }
            if (j >= Width - band) { sides[3] += v; counts[3]++; any = true; }
            if (!any) { interior += v; ni++; }
        }
        double worst = Enumerable.Range(0, 4).Max(k => sides[k] / counts[k]);
        interior /= ni;
        if (interior == 0) return worst > 0 ? double.PositiveInfinity : double.NaN;
        return worst / interior;
    }

    /// <summary>Largest value.</summary>
    public double Max => Values.Length == 0 ? 0 : Values.Max();
}
