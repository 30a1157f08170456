using System.Globalization;
using System.Net;
using System.Text;
using static EquivarianceRegularizer.Audit.Reports.ReportText;

namespace EquivarianceRegularizer.Audit.Reports;

/// <summary>
/// One self-contained, offline HTML page: summary, tables, and inline-SVG plots (per-layer error bars, error
/// distribution, spatial error map, cumulative LEE when Lie data is attached). No scripts, no external
/// resources; every user-controlled string is HTML-escaped.
/// </summary>
public static class HtmlReport
{
    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Color(string verdict) => verdict switch
    {
        "PASS" => "#2e7d32",
        "NEEDS_ATTENTION" => "#ef6c00",
        "FAIL" => "#c62828",
        _ => "#757575",
    };

    /// <summary>Renders the page.</summary>
    public static string Render(AuditReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        string verdict = Verdict(r.Verdict);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
        sb.Append($"<title>Equivariance audit: {H(r.Model)}</title><style>");
        sb.Append("body{font-family:sans-serif;margin:24px;color:#212121;max-width:1100px}h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px}");
        sb.Append("table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f5f5f5}");
        sb.Append(".badge{display:inline-block;color:#fff;padding:4px 12px;border-radius:4px;font-weight:bold}.plots{display:flex;flex-wrap:wrap;gap:16px}");
        sb.Append("figure{margin:0}figcaption{font-size:12px;color:#555}code{background:#f5f5f5;padding:1px 3px}</style></head><body>\n");
        sb.Append($"<h1>Equivariance audit: {H(r.Model)}</h1>\n");
        sb.Append($"<p><span class=\"badge\" id=\"verdict\" style=\"background:{Color(verdict)}\">{verdict}</span> {H(string.Join("; ", r.Reasons))}</p>\n");
        sb.Append($"<p>Symmetry: <b>{H(r.Transform)}</b> ({H(r.Group)}), {H(r.SymmetryType)}. Evaluation: {H(r.EvaluationMode)} mode, {r.DType}, seed {r.Seed}.</p>\n");

        sb.Append("<h2>End-to-end</h2>\n");
        if (r.EndToEnd is { } e)
        {
            sb.Append($"<p>{e.Samples} samples × {e.Elements} elements ({H(e.ElementSource)}); identity check {N(e.IdentityRelativeError)} ({H(e.IdentityCheck)}).</p>");
            sb.Append("<table><tr><th></th><th>min</th><th>mean</th><th>max</th><th>std</th></tr>");
            sb.Append($"<tr><td>absolute</td><td>{N(e.Absolute.Min)}</td><td>{N(e.Absolute.Mean)}</td><td>{N(e.Absolute.Max)}</td><td>{N(e.Absolute.Std)}</td></tr>");
            sb.Append($"<tr><td>relative</td><td>{N(e.Relative.Min)}</td><td>{N(e.Relative.Mean)}</td><td>{N(e.Relative.Max)}</td><td>{N(e.Relative.Std)}</td></tr></table>");
            sb.Append($"<p>Worst: sample {e.Worst.Sample} under {H(e.Worst.Element)}. Result: <b style=\"color:{Color(Result(e.Grade))}\">{Result(e.Grade)}</b>.</p>");
            if (r.Baseline is { } b) sb.Append($"<p>Interpolation baseline ({H(b.Mask)}): mean {N(b.MeanRelative)}, max {N(b.MaxRelative)}.</p>");
            if (r.Precision is { } p) sb.Append($"<p>Float64 re-run: {N(p.Float64MaxRelative)} ({(p.Collapsed ? "collapses: precision" : "does not collapse")}).</p>");
            if (r.RandomInit is { } ri) sb.Append($"<p>Random-init baseline: max {N(ri.MaxRelative)}, trained/fresh ratio {N(ri.Ratio)}.</p>");
        }
        else sb.Append("<p>Not run.</p>");

        sb.Append("<div class=\"plots\">");
        if (r.Layers.Any(l => l.Tested)) sb.Append(Figure("Per-layer own relative error (log scale; dashed: excellent and approximate bands)", LayerBars(r)));
        if (r.EndToEnd is { RelativeErrors.Count: > 0 } e2) sb.Append(Figure("Distribution of end-to-end relative errors (log10)", Histogram(e2.RelativeErrors, r.Thresholds)));
        var map = r.EndToEnd?.ErrorMap ?? r.Layers.FirstOrDefault(l => l.Name == r.FirstFailingLayer)?.ErrorMap
                  ?? r.Layers.LastOrDefault(l => l.ErrorMap is not null)?.ErrorMap;
        if (map is not null) sb.Append(Figure($"Spatial error map: {H(map.Where)} (mean |error| per pixel, max {N(map.Max)})", Heatmap(map)));
        if (r.LieLayerErrors is { Count: > 0 } lee) sb.Append(Figure("Cumulative Lie-derivative error (LEE) by layer", CumulativeLee(lee)));
        sb.Append("</div>\n");

        sb.Append("<h2>Layers</h2>\n");
        if (r.Layers.Count > 0)
        {
            sb.Append($"<p>First failing layer: <b>{H(r.FirstFailingLayer ?? "none")}</b></p>");
            sb.Append("<table><tr><th>layer</th><th>type</th><th>own max rel</th><th>cumulative</th><th>‖h‖</th><th>‖∂ℓ/∂h‖</th><th>actions (in → out)</th><th>result</th></tr>");
            foreach (var l in r.Layers)
            {
                if (l.Tested)
                    sb.Append($"<tr><td>{H(l.Name)}</td><td>{H(l.TypeName)}</td><td>{N(l.OwnMaxRelative)}</td><td>{N(l.CumulativeMaxRelative)}</td><td>{N(l.ActivationNorm)}</td><td>{N(l.GradientNorm)}</td><td>{H(l.InputAction)} → {H(l.OutputAction)} ({H(l.Method)})</td><td style=\"color:{Color(l.VerdictText)}\">{l.VerdictText}</td></tr>");
                else
                    sb.Append($"<tr><td>{H(l.Name)}</td><td>{H(l.TypeName)}</td><td colspan=\"6\">not tested: {H(l.NotTestableReason!)}</td></tr>");
            }
            sb.Append("</table>\n");
        }
        else sb.Append("<p>Not run.</p>");

        sb.Append("<h2>Gradient</h2>\n");
        if (r.Gradient is not { } g) sb.Append("<p>Not run.</p>");
        else if (!g.Judged) sb.Append($"<p>Not judged: {H(g.NotJudgedReason ?? "")}</p>");
        else sb.Append($"<p>Max relative {N(g.Relative!.Max)}, mean {N(g.Relative.Mean)}: <b>{Result(g.Grade!.Value)}</b>.</p>");

        sb.Append("<h2>Issues</h2>\n");
        if (r.Diagnoses.Count == 0) sb.Append("<p>None.</p>");
        else
        {
            sb.Append("<table><tr><th>kind</th><th>location</th><th>severity</th><th>evidence</th><th>fix</th></tr>");
            foreach (var d in r.Diagnoses)
                sb.Append($"<tr><td>{Kind(d.Kind)}</td><td>{H(d.Location)}</td><td>{d.Severity}</td><td>{H(d.Evidence)}</td><td>{H(d.Fix)}</td></tr>");
            sb.Append("</table>");
        }
        sb.Append("<h2>Notes</h2><ul>");
        foreach (var n in r.Notes) sb.Append($"<li>{H(n)}</li>");
        sb.Append($"<li>Audit took {r.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s.</li></ul>\n</body></html>\n");
        return sb.ToString();
    }

    private static string Figure(string caption, string svg) => $"<figure>{svg}<figcaption>{caption}</figcaption></figure>";

    private static double Log(double v) => Math.Log10(Math.Max(v, 1e-17));

    private static string LayerBars(AuditReport r)
    {
        var layers = r.Layers.Where(l => l.Tested).ToList();
        const int left = 170, width = 520, row = 18;
        int height = 30 + row * layers.Count;
        const double lo = -17, hi = 1;
        double X(double v) => left + (Math.Clamp(Log(v), lo, hi) - lo) / (hi - lo) * (width - left - 10);
        var sb = new StringBuilder($"<svg width=\"{width}\" height=\"{height}\" role=\"img\">");
        for (int d = (int)lo; d <= hi; d += 3)
            sb.Append($"<text x=\"{F(X(Math.Pow(10, d)))}\" y=\"12\" font-size=\"9\" text-anchor=\"middle\">1e{d}</text>");
        foreach (var t in new[] { r.Thresholds.Excellent, r.Thresholds.Approximate })
            sb.Append($"<line x1=\"{F(X(t))}\" y1=\"16\" x2=\"{F(X(t))}\" y2=\"{height}\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>");
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            double y = 20 + i * row;
            double v = double.IsFinite(l.OwnMaxRelative) ? l.OwnMaxRelative : 10;
            string label = l.Name.Length > 26 ? l.Name[..25] + "…" : l.Name;
            sb.Append($"<text x=\"{left - 4}\" y=\"{F(y + 11)}\" font-size=\"11\" text-anchor=\"end\">{H(label)}</text>");
            sb.Append($"<rect x=\"{left}\" y=\"{F(y + 2)}\" width=\"{F(Math.Max(1, X(v) - left))}\" height=\"{row - 5}\" fill=\"{Color(l.VerdictText)}\"><title>{H(l.Name)}: {N(l.OwnMaxRelative)}</title></rect>");
        }
        return sb.Append("</svg>").ToString();
    }

    private static string Histogram(IReadOnlyList<double> values, Thresholds th)
    {
        const int bins = 36, width = 420, height = 200, bottom = 180;
        const double lo = -18, hi = 0;
        var counts = new int[bins];
        int infinite = 0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) { infinite++; continue; }
            int b = (int)Math.Floor((Math.Clamp(Log(v), lo, hi - 1e-9) - lo) / (hi - lo) * bins);
            counts[Math.Clamp(b, 0, bins - 1)]++;
        }
        int max = Math.Max(1, counts.Max());
        double bw = (width - 20.0) / bins;
        double X(double l) => 10 + (l - lo) / (hi - lo) * (width - 20);
        var sb = new StringBuilder($"<svg width=\"{width}\" height=\"{height}\" role=\"img\">");
        for (int i = 0; i < bins; i++)
        {
            double h = counts[i] / (double)max * (bottom - 20);
            if (counts[i] > 0) sb.Append($"<rect x=\"{F(10 + i * bw)}\" y=\"{F(bottom - h)}\" width=\"{F(bw - 1)}\" height=\"{F(h)}\" fill=\"#1565c0\"><title>{counts[i]}</title></rect>");
        }
        foreach (var t in new[] { th.Excellent, th.Approximate })
            sb.Append($"<line x1=\"{F(X(Log(t)))}\" y1=\"10\" x2=\"{F(X(Log(t)))}\" y2=\"{bottom}\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>");
        sb.Append($"<line x1=\"10\" y1=\"{bottom}\" x2=\"{width - 10}\" y2=\"{bottom}\" stroke=\"#333\"/>");
        for (int d = (int)lo; d <= hi; d += 3)
            sb.Append($"<text x=\"{F(X(d))}\" y=\"{bottom + 14}\" font-size=\"9\" text-anchor=\"middle\">1e{d}</text>");
        if (infinite > 0) sb.Append($"<text x=\"{width - 12}\" y=\"20\" font-size=\"10\" text-anchor=\"end\">{infinite} non-finite</text>");
        return sb.Append("</svg>").ToString();
    }

    private static string Heatmap(SpatialErrorMap m)
    {
        int cell = Math.Max(2, Math.Min(12, 280 / Math.Max(m.Height, m.Width)));
        int width = m.Width * cell, height = m.Height * cell;
        double max = m.Max > 0 ? m.Max : 1;
        var sb = new StringBuilder($"<svg width=\"{width}\" height=\"{height}\" role=\"img\" shape-rendering=\"crispEdges\">");
        sb.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>");
        for (int i = 0; i < m.Height; i++)
        for (int j = 0; j < m.Width; j++)
        {
            double t = Math.Clamp(m.Values[i * m.Width + j] / max, 0, 1);
            if (t <= 0) continue;
            int red = 255, gb = (int)Math.Round(255 * (1 - t));
            sb.Append($"<rect x=\"{j * cell}\" y=\"{i * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({red},{gb},{gb})\"/>");
        }
        return sb.Append("</svg>").ToString();
    }

    private static string CumulativeLee(IReadOnlyList<LieLayerError> lee)
    {
        const int width = 440, height = 210, left = 60, bottom = 170;
        var cum = new double[lee.Count];
        double s = 0;
        for (int i = 0; i < lee.Count; i++) { s += double.IsFinite(lee[i].Lee) ? lee[i].Lee : 0; cum[i] = s; }
        double max = cum.Length > 0 && cum.Max() > 0 ? cum.Max() : 1;
        double X(int i) => left + (lee.Count == 1 ? 0.5 : i / (double)(lee.Count - 1)) * (width - left - 10);
        double Y(double v) => bottom - v / max * (bottom - 15);
        var sb = new StringBuilder($"<svg width=\"{width}\" height=\"{height}\" role=\"img\">");
        sb.Append($"<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{width - 10}\" y2=\"{bottom}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"#333\"/>");
        sb.Append($"<text x=\"{left - 4}\" y=\"18\" font-size=\"9\" text-anchor=\"end\">{N(max)}</text>");
        var pts = string.Join(" ", Enumerable.Range(0, lee.Count).Select(i => $"{F(X(i))},{F(Y(cum[i]))}"));
        sb.Append($"<polyline points=\"{pts}\" fill=\"none\" stroke=\"#6a1b9a\" stroke-width=\"2\"/>");
        for (int i = 0; i < lee.Count; i++)
        {
            string label = lee[i].Layer.Length > 10 ? lee[i].Layer[..9] + "…" : lee[i].Layer;
            sb.Append($"<text x=\"{F(X(i))}\" y=\"{bottom + 14}\" font-size=\"9\" text-anchor=\"middle\">{H(label)}</text>");
        }
        for (int i = 0; i < lee.Count; i++)
            sb.Append($"<circle cx=\"{F(X(i))}\" cy=\"{F(Y(cum[i]))}\" r=\"3\" fill=\"#6a1b9a\"><title>{H(lee[i].Layer)}: {N(lee[i].Lee)} (cumulative {N(cum[i])})</title></circle>");
        return sb.Append("</svg>").ToString();
    }
}
