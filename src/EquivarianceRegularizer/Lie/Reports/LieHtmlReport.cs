using System.Globalization;
using System.Text;
using static EquivarianceRegularizer.Reports.HtmlParts;
using static EquivarianceRegularizer.Reports.ReportFormat;

namespace EquivarianceRegularizer.Lie.Reports;

/// <summary>
/// The LEE report as one self-contained, offline HTML page in the audit page's style: the transforms' LEE with bars,
/// and per transform measured by layer a table and the cumulative-LEE plot. No scripts, no external resources;
/// every user-controlled string is HTML-escaped.
/// </summary>
internal static class LieHtmlReport
{

    /// <summary>Renders the page.</summary>
    public static string Render(LieReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        AppendHead(sb, $"Lie-derivative error: {r.Model}");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Lie-derivative error (LEE): {H(r.Model)}</h1>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<p>{r.Samples} {H(r.Data)} inputs of shape [{string.Join(",", r.InputShape)}], seed {r.Seed}; {r.Aggregation}; {H(r.EvaluationMode)} mode; {H(r.Conventions)}.</p>\n");
        sb.Append("<h2>By transform</h2>\n<table id=\"transforms\"><tr><th>transform</th><th>LEE</th><th>± s.e.</th><th>output</th><th>method</th></tr>");
        foreach (var t in r.Results)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(t.Transform)}</td><td>{N(t.Total.Value)}</td><td>{N(t.Total.StandardError)}</td><td>{t.Total.Output}{(t.Total.OutputBorderWidth is null ? "" : $"; {H(t.Total.Coverage)}")}</td><td>{t.Total.Method}</td></tr>");
        sb.Append("</table>\n<div class=\"plots\">");
        if (r.Results.Count > 0) sb.Append(Figure("LEE by transform (linear scale; whiskers: ± one standard error)", TransformBars(r.Results)));
        foreach (var t in r.Results)
            if (t.Layers is { Layers.Count: > 0 } layers)
                sb.Append(Figure($"Cumulative LEE by layer: {H(t.Transform)}",
                    CumulativePlot(layers.Layers.Select(l => (l.Name, l.Lee)).ToList(), "cumulative LEE")));
        sb.Append("</div>\n");
        foreach (var t in r.Results)
        {
            if (t.Layers is not { } layers) continue;
            sb.Append(CultureInfo.InvariantCulture, $"<h2>{H(t.Transform)}: by layer</h2>\n<p>Sum of the layers' contributions vs the model's LEE: relative residual {N(layers.SumRelativeResidual)}. The LEE covers {H(layers.Total.Coverage)}.</p>");
            if (layers.Culprit is { } culprit) sb.Append(CultureInfo.InvariantCulture, $"<p>Largest share away from border-only layers: <b>{H(culprit)}</b>.</p>");
            if (layers.BorderShare is { } band)
                sb.Append(CultureInfo.InvariantCulture, $"<p>Border band ({layers.BorderWidth} px) of the modules' own Lie derivatives: projection share {band.ToString("0.000", CultureInfo.InvariantCulture)}, the rest {(1 - band).ToString("0.000", CultureInfo.InvariantCulture)}.</p>");
            if (layers.Boundary is { } boundary) sb.Append(CultureInfo.InvariantCulture, $"<p>Boundary: {H(boundary.Explanation)}</p>");
            sb.Append("<table><tr><th>#</th><th>layer</th><th>kind</th><th>role</th><th>LEE</th><th>± s.e.</th><th>share</th><th>cumulative</th><th>projection share</th><th>border LEE</th><th>interior LEE</th></tr>");
            foreach (var l in layers.Layers)
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{l.Index}</td><td>{H(l.Name)}</td><td>{H(l.Kind)}</td><td>{l.Role}</td><td>{N(l.Lee)}</td><td>{N(l.StandardError)}</td><td>{LieMarkdownReport.Percent(l.Share)}</td><td>{LieMarkdownReport.Percent(l.CumulativeShare)}</td><td>{l.ProjectionShare.ToString("0.000", CultureInfo.InvariantCulture)}</td><td>{(l.BorderLee is { } b ? N(b) : "")}</td><td>{(l.InteriorLee is { } i ? N(i) : "")}{(l.BorderOnly ? " (border only)" : "")}</td></tr>");
            sb.Append("</table>\n");
        }
        AppendNotes(sb, r.AllNotes, $"Measured in {r.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s.");
        return EquivarianceRegularizer.Reports.ReportFormat.Printable(sb.ToString(), keepNewlines: true);
    }

    private static string TransformBars(IReadOnlyList<LieTransformResult> results)
    {
        const int left = 100, right = 90, top = 10, row = 22, width = 560;
        int axisY = top + row * results.Count + 4, height = axisY + 40;
        double max = results.Select(t => double.IsFinite(t.Total.Value) ? t.Total.Value + Math.Max(0, t.Total.StandardError) : 0).DefaultIfEmpty(0).Max();
        if (!(max > 0)) max = 1;
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        double X(double v) => left + Math.Clamp(v / max, 0, 1) * (width - left - right);
        var sb = new StringBuilder($"<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\">");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{axisY}\" x2=\"{width - right}\" y2=\"{axisY}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{axisY}\" stroke=\"#333\"/>");
        foreach (var v in new[] { 0, max / 2, max })
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(v))}\" y1=\"{axisY}\" x2=\"{F(X(v))}\" y2=\"{axisY + 4}\" stroke=\"#333\"/><text x=\"{F(X(v))}\" y=\"{axisY + 15}\" font-size=\"10\" text-anchor=\"middle\">{N(v)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + width - right) / 2}\" y=\"{axisY + 32}\" font-size=\"11\" text-anchor=\"middle\">LEE ({results[0].Total.Aggregation})</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{F((top + axisY) / 2.0)}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 {F((top + axisY) / 2.0)})\">transform</text>");
        for (int i = 0; i < results.Count; i++)
        {
            var t = results[i].Total;
            double y = top + i * row, v = double.IsFinite(t.Value) ? t.Value : 0;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{F(y + 14)}\" font-size=\"11\" text-anchor=\"end\">{H(t.Transform)}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{F(y + 4)}\" width=\"{F(Math.Max(1, X(v) - left))}\" height=\"{row - 8}\" fill=\"#6a1b9a\"><title>{H(t.Transform)}: {N(t.Value)} ± {N(t.StandardError)}</title></rect>");
            if (t.StandardError > 0 && double.IsFinite(t.StandardError))
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(v - t.StandardError))}\" y1=\"{F(y + row / 2.0)}\" x2=\"{F(X(v + t.StandardError))}\" y2=\"{F(y + row / 2.0)}\" stroke=\"#000\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Math.Max(left + 1, X(v + Math.Max(0, t.StandardError))) + 4)}\" y=\"{F(y + 14)}\" font-size=\"9\">{N(t.Value)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }
}
