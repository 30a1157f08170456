using System.Globalization;

namespace EquivarianceRegularizer.Reports;

/// <summary>Number and cell formatting shared by every report (audit and Lie; text, Markdown, HTML).</summary>
internal static class ReportFormat
{
    /// <summary>A number in short scientific form ("n/a" for NaN, "inf", "0").</summary>
    public static string N(double v) =>
        double.IsNaN(v) ? "n/a" : double.IsPositiveInfinity(v) ? "inf" : v == 0 ? "0" : v.ToString("0.###e+0", CultureInfo.InvariantCulture);
}
