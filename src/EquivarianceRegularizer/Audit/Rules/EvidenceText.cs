using EquivarianceRegularizer.Models;
using System.Globalization;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>How the rules and the verdict write numbers and layer evidence.</summary>
internal static class EvidenceText
{
    /// <summary>A number with three significant digits in exponent form (1.23e-4).</summary>
    public static string E(double v) => v.ToString("0.##e+0", CultureInfo.InvariantCulture);

    /// <summary>"name (Type) has own relative error … (method; input acted on by …, output by …)".</summary>
    public static string OfLayer(LayerResult l) =>
        $"{l.Name} ({LayerTaxonomy.ShortType(l.TypeName)}) has own relative error {E(l.OwnMaxRelative)} ({l.Method}; input acted on by {l.InputAction}, output by {l.OutputAction})";

    /// <summary>True when the map's error is over 3× higher along a border than inside (maps of at least 6×6).</summary>
    public static bool IsBorderConcentrated(SpatialErrorMap map, out double ratio)
    {
        int band = Math.Max(1, Math.Min(map.Height, map.Width) / 8);
        ratio = map.BorderToInteriorRatio(band);
        return map.Height >= 6 && map.Width >= 6 && ratio > 3;
    }
}
