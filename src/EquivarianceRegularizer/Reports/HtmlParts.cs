using System.Globalization;
using System.Net;
using System.Text;
using static EquivarianceRegularizer.Reports.ReportFormat;

namespace EquivarianceRegularizer.Reports;

/// <summary>
/// The pieces every eqv HTML page is made of (the audit's and the Lie report's): escaping, the page head and style,
/// figures, SVG primitives, the cumulative per-layer plot and the notes footer. One look for every page.
/// </summary>
internal static class HtmlParts
{
    /// <summary>HTML-escapes a user-controlled string.</summary>
    internal static string H(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A coordinate with at most two decimals.</summary>
    internal static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The page's head and style, shared with the Lie report (one look for every eqv page).</summary>
    internal static void AppendHead(StringBuilder sb, string title)
    {
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{H(title)}</title><style>");
        sb.Append("body{font-family:sans-serif;margin:24px;color:#212121}h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px}");
        sb.Append("table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f5f5f5}");
        sb.Append(".badge{display:inline-block;color:#fff;padding:4px 12px;border-radius:4px;font-weight:bold}.plots{display:flex;flex-wrap:wrap;gap:16px;width:100%}");
        sb.Append(".plots figure{flex:0 1 auto;min-width:0}.plots svg{max-width:100%;height:auto;display:block}.zero{padding:24px;border:1px dashed #bbb;color:#2e7d32}");
        sb.Append("figure{margin:0}figcaption{font-size:12px;color:#555}code{background:#f5f5f5;padding:1px 3px}</style></head><body>\n");
    }

    /// <summary>A figure with its caption.</summary>
    internal static string Figure(string caption, string svg) => $"<figure>{svg}<figcaption>{caption}</figcaption></figure>";

    internal static string Svg(int width, int height, string extra = "") =>
        $"<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\"{extra}>";

    internal static string Text(double x, double y, string s, string anchor = "middle", int size = 10, string extra = "") =>
        $"<text x=\"{F(x)}\" y=\"{F(y)}\" font-size=\"{size}\" text-anchor=\"{anchor}\"{extra}>{s}</text>";

    internal static string YLabel(double x, double y, string s) => Text(x, y, H(s), "middle", 11, $" transform=\"rotate(-90 {F(x)} {F(y)})\"");

    internal static string Line(double x1, double y1, double x2, double y2, string stroke = "#333", string extra = "") =>
        $"<line x1=\"{F(x1)}\" y1=\"{F(y1)}\" x2=\"{F(x2)}\" y2=\"{F(y2)}\" stroke=\"{stroke}\"{extra}/>";

    /// <summary>The running sum of per-layer values as a line over the layers, with labelled axes (shared with the Lie report).</summary>
    internal static string CumulativePlot(IReadOnlyList<(string Label, double Value)> points, string yLabel)
    {
        const int width = 500, height = 240, left = 70, right = 24, top = 12, bottom = 182;
        var cum = new double[points.Count];
        double s = 0;
        for (int i = 0; i < points.Count; i++) { s += double.IsFinite(points[i].Value) ? points[i].Value : 0; cum[i] = s; }
        double max = cum.Length > 0 && cum.Max() > 0 ? cum.Max() : 1;
        double X(int i) => left + 10 + (points.Count == 1 ? 0.5 : i / (double)(points.Count - 1)) * (width - left - right - 20);
        double Y(double v) => bottom - v / max * (bottom - top - 6);
        var sb = new StringBuilder(Svg(width, height));
        sb.Append(Line(left, bottom, width - right, bottom)).Append(Line(left, top, left, bottom));
        foreach (var v in new[] { 0, max / 2, max })
            sb.Append(Line(left - 4, Y(v), width - right, Y(v), v == 0 ? "#333" : "#e0e0e0")).Append(Text(left - 6, Y(v) + 3, N(v), "end"));
        sb.Append(YLabel(14, (top + bottom) / 2.0, yLabel));
        var pts = string.Join(" ", Enumerable.Range(0, points.Count).Select(i => $"{F(X(i))},{F(Y(cum[i]))}"));
        sb.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{pts}\" fill=\"none\" stroke=\"#6a1b9a\" stroke-width=\"2\"/>");
        int every = Math.Max(1, (int)Math.Ceiling(points.Count / 12.0));
        for (int i = 0; i < points.Count; i += every)
        {
            string label = points[i].Label.Length > 10 ? points[i].Label[..9] + "…" : points[i].Label;
            sb.Append(Text(X(i), bottom + 14, H(label), "middle", 9));
        }
        sb.Append(Text((left + width - right) / 2.0, bottom + 34, "layer (in forward order)", "middle", 11));
        for (int i = 0; i < points.Count; i++)
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(X(i))}\" cy=\"{F(Y(cum[i]))}\" r=\"3\" fill=\"#6a1b9a\"><title>{H(points[i].Label)}: {N(points[i].Value)} (cumulative {N(cum[i])})</title></circle>");
        return sb.Append("</svg>").ToString();
    }

    /// <summary>The notes list, a last line, and the end of the page.</summary>
    internal static void AppendNotes(StringBuilder sb, IEnumerable<string> notes, string last)
    {
        sb.Append("<h2>Notes</h2><ul>");
        foreach (var n in notes) sb.Append(CultureInfo.InvariantCulture, $"<li>{H(n)}</li>");
        sb.Append(CultureInfo.InvariantCulture, $"<li>{H(last)}</li></ul>\n</body></html>\n");
    }
}
