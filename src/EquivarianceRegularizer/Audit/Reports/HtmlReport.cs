using System.Globalization;
using System.Text;
using static EquivarianceRegularizer.Audit.Reports.ReportText;
using static EquivarianceRegularizer.Reports.HtmlParts;

namespace EquivarianceRegularizer.Audit.Reports;

/// <summary>
/// One self-contained, offline HTML page: summary, tables, and inline-SVG plots (per-layer error bars, error
/// distribution, spatial error map, cumulative LEE when Lie data is attached). No scripts, no external
/// resources; every user-controlled string is HTML-escaped.
/// </summary>
internal static class HtmlReport
{
    internal static string Color(string verdict) => verdict switch
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
        AppendHead(sb, $"Equivariance audit: {r.Model}");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Equivariance audit: {H(r.Model)}</h1>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<p><span class=\"badge\" id=\"verdict\" style=\"background:{Color(verdict)}\">{verdict}</span> {H(string.Join("; ", r.Reasons))}</p>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<p>Symmetry: <b>{H(r.Transform)}</b> ({H(r.Group)}), {H(r.SymmetryType)}. Evaluation: {H(r.EvaluationMode)} mode, {r.DType}, seed {r.Seed}.</p>\n");

        sb.Append("<h2>End-to-end</h2>\n");
        if (r.EndToEnd is { } e)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p>{e.Samples} samples × {e.Elements} elements ({H(e.ElementSource)}); identity check {N(e.IdentityRelativeError)} ({H(e.IdentityCheck)}).</p>");
            sb.Append("<table><tr><th></th><th>min</th><th>mean</th><th>max</th><th>std</th></tr>");
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>absolute</td><td>{N(e.Absolute.Min)}</td><td>{N(e.Absolute.Mean)}</td><td>{N(e.Absolute.Max)}</td><td>{N(e.Absolute.Std)}</td></tr>");
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>relative</td><td>{N(e.Relative.Min)}</td><td>{N(e.Relative.Mean)}</td><td>{N(e.Relative.Max)}</td><td>{N(e.Relative.Std)}</td></tr></table>");
            sb.Append(CultureInfo.InvariantCulture, $"<p>Worst: sample {e.Worst.Sample} under {H(e.Worst.Element)}. Result: <b style=\"color:{Color(Result(e.Grade))}\">{Result(e.Grade)}</b>.</p>");
            if (r.Baseline is { } b) sb.Append(CultureInfo.InvariantCulture, $"<p>Interpolation baseline ({H(b.Mask)}): mean {N(b.MeanRelative)}, max {N(b.MaxRelative)}.</p>");
            if (r.Precision is { } p) sb.Append(CultureInfo.InvariantCulture, $"<p>Float64 re-run: {N(p.Float64MaxRelative)} ({(p.Collapsed ? "collapses: precision" : "does not collapse")}).</p>");
            if (r.RandomInit is { } ri) sb.Append(CultureInfo.InvariantCulture, $"<p>Random-init baseline: max {N(ri.MaxRelative)}, trained/fresh ratio {N(ri.Ratio)}.</p>");
        }
        else sb.Append("<p>Not run.</p>");

        sb.Append("<div class=\"plots\">");
        if (r.Layers.Any(l => l.Tested)) sb.Append(Figure("Per-layer own relative error (log scale; dashed: excellent and approximate bands)", LayerBars(r)));
        if (r.EndToEnd is { RelativeErrors.Count: > 0 } e2) sb.Append(Figure("Distribution of end-to-end relative errors (log10)", Histogram(e2.RelativeErrors, r.Thresholds)));
        var map = r.EndToEnd?.ErrorMap ?? r.Layers.FirstOrDefault(l => l.Name == r.FirstFailingLayer)?.ErrorMap
                  ?? r.Layers.LastOrDefault(l => l.ErrorMap is not null)?.ErrorMap;
        if (map is not null && !(map.Max > 0))
            sb.Append(CultureInfo.InvariantCulture, $"<figure><div class=\"zero\" id=\"zero-map\">Spatial error map ({H(map.Where)}): the error is zero everywhere, so there is nothing to draw.</div><figcaption>Spatial error map</figcaption></figure>");
        else if (map is not null) sb.Append(Figure($"Spatial error map: {H(map.Where)} (mean |error| per pixel, max {N(map.Max)})", Heatmap(map)));
        if (r.LieLayerErrors is { Count: > 0 } lee)
            sb.Append(Figure("Cumulative Lie-derivative error (LEE) by layer", CumulativePlot(lee.Select(l => (l.Layer, l.Lee)).ToList(), "cumulative LEE")));
        sb.Append("</div>\n");

        sb.Append("<h2>Layers</h2>\n");
        if (r.Layers.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p>First failing layer: <b>{H(r.FirstFailingLayer ?? "none")}</b></p>\n");
            var ranked = LayerViews.Ranked(r.Layers);
            if (ranked.Count > 0)
            {
                // The sorted view: where the error is largest, whatever block it sits in.
                sb.Append(CultureInfo.InvariantCulture, $"<details open id=\"ranked\"><summary>Largest own errors ({ranked.Count} of {r.Layers.Count(l => l.Tested)} tested layers, largest first)</summary>");
                sb.Append("<table><tr><th>#</th><th>layer</th><th>type</th><th>own max rel</th><th>cumulative</th><th>result</th></tr>");
                for (int i = 0; i < ranked.Count; i++)
                {
                    var l = ranked[i];
                    sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{i + 1}</td><td>{H(l.Name)}</td><td>{H(l.TypeName)}</td><td>{N(l.OwnMaxRelative)}</td><td>{N(l.CumulativeMaxRelative)}</td><td style=\"color:{Color(l.VerdictText)}\">{l.VerdictText}</td></tr>");
                }
                sb.Append("</table></details>\n");
            }
            // Every layer, grouped by block; a block is open when it holds the first failing layer.
            foreach (var (title, members) in LayerViews.Blocks(r.Layers))
            {
                string worst = LayerViews.Worst(members);
                bool open = r.FirstFailingLayer is { } ff && members.Any(l => l.Name == ff);
                sb.Append(CultureInfo.InvariantCulture, $"<details class=\"block\"{(open ? " open" : "")}><summary><b>{H(title)}</b>: {members.Count} layer{(members.Count == 1 ? "" : "s")}, worst <span style=\"color:{Color(worst)}\">{worst}</span></summary>");
                sb.Append("<table><tr><th>layer</th><th>type</th><th>own max rel</th><th>cumulative</th><th>‖h‖</th><th>‖∂ℓ/∂h‖</th><th>actions (in → out)</th><th>result</th></tr>");
                foreach (var l in members)
                {
                    if (l.Tested)
                        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(l.Name)}</td><td>{H(l.TypeName)}</td><td>{N(l.OwnMaxRelative)}</td><td>{N(l.CumulativeMaxRelative)}</td><td>{N(l.ActivationNorm)}</td><td>{N(l.GradientNorm)}</td><td>{H(l.InputAction)} → {H(l.OutputAction)} ({H(l.Method)})</td><td style=\"color:{Color(l.VerdictText)}\">{l.VerdictText}</td></tr>");
                    else
                        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(l.Name)}</td><td>{H(l.TypeName)}</td><td colspan=\"6\">not tested: {H(l.NotTestableReason!)}</td></tr>");
                }
                sb.Append("</table></details>\n");
            }
        }
        else sb.Append("<p>Not run.</p>");

        sb.Append("<h2>Gradient</h2>\n");
        if (r.Gradient is not { } g) sb.Append("<p>Not run.</p>");
        else if (!g.Judged) sb.Append(CultureInfo.InvariantCulture, $"<p>Not judged: {H(g.NotJudgedReason ?? "")}</p>");
        else sb.Append(CultureInfo.InvariantCulture, $"<p>Max relative {N(g.Relative!.Max)}, mean {N(g.Relative.Mean)}: <b>{Result(g.Grade!.Value)}</b>.</p>");

        sb.Append("<h2>Issues</h2>\n");
        if (r.Diagnoses.Count == 0) sb.Append("<p>None.</p>");
        else
        {
            sb.Append("<table><tr><th>kind</th><th>location</th><th>severity</th><th>evidence</th><th>fix</th></tr>");
            foreach (var d in r.Diagnoses)
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Kind(d.Kind)}</td><td>{H(d.Location)}</td><td>{d.Severity}</td><td>{H(d.Evidence)}</td><td>{H(d.Fix)}</td></tr>");
            sb.Append("</table>");
        }
        AppendNotes(sb, r.Notes, $"Audit took {r.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s.");
        return EquivarianceRegularizer.Reports.ReportFormat.Printable(sb.ToString(), keepNewlines: true);
    }

    private static double Log(double v) => Math.Log10(Math.Max(v, 1e-17));

    // Horizontal log axis from 1e-17 to 1e1 with an own slot for exact zeros ("0"), ticks every 3 decades.
    private static string LogAxis(double y, Func<double, double> x, double zeroX, string label, double middle)
    {
        var sb = new StringBuilder();
        sb.Append(Text(zeroX, y + 14, "0"));
        for (int d = -15; d <= 0; d += 3)
        {
            sb.Append(Line(x(Math.Pow(10, d)), y, x(Math.Pow(10, d)), y + 4));
            sb.Append(Text(x(Math.Pow(10, d)), y + 14, d == 0 ? "1" : $"1e{d}"));
        }
        return sb.Append(Text(middle, y + 32, H(label), "middle", 11)).ToString();
    }

    private static string LayerBars(AuditReport r)
    {
        var layers = r.Layers.Where(l => l.Tested).ToList();
        // Full names: the label column is as wide as the longest name (about 6.2 px per character at 11 px).
        int left = Math.Max(170, 12 + (int)Math.Ceiling(6.2 * layers.Max(l => l.Name.Length)));
        const int right = 80, top = 10, row = 18;
        int width = left + 470;
        int axisY = top + row * layers.Count + 4, height = axisY + 42;
        const double lo = -17, hi = 1;
        double X(double v) => v <= 0 ? left : left + (Math.Clamp(Log(v), lo, hi) - lo) / (hi - lo) * (width - left - right);
        var sb = new StringBuilder(Svg(width, height));
        sb.Append(Line(left, axisY, width - right, axisY)).Append(Line(left, top, left, axisY));
        sb.Append(LogAxis(axisY, X, left, "own max relative error (log scale; 0 = exact)", (left + width - right) / 2.0));
        sb.Append(YLabel(12, (top + axisY) / 2.0, "layer"));
        foreach (var t in new[] { r.Thresholds.Excellent, r.Thresholds.Approximate })
            sb.Append(Line(X(t), top, X(t), axisY, "#999", " stroke-dasharray=\"3,3\""));
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            double y = top + i * row;
            double v = double.IsFinite(l.OwnMaxRelative) ? l.OwnMaxRelative : 10;
            sb.Append(Text(left - 4, y + 12, H(l.Name), "end", 11));
            double end = Math.Max(left + 1, X(v));
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{F(y + 3)}\" width=\"{F(end - left)}\" height=\"{row - 5}\" fill=\"{Color(l.VerdictText)}\"><title>{H(l.Name)}: {N(l.OwnMaxRelative)}</title></rect>");
            sb.Append(Text(end + 4, y + 12, N(l.OwnMaxRelative), "start", 9));
        }
        return sb.Append("</svg>").ToString();
    }

    private static string Histogram(IReadOnlyList<double> values, Thresholds th)
    {
        const int bins = 34, width = 480, height = 240, left = 56, right = 20, top = 12, bottom = 190, zeroWidth = 14;
        const double lo = -17, hi = 0;
        var counts = new int[bins];
        int zeros = 0, infinite = 0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) { infinite++; continue; }
            if (v <= 0) { zeros++; continue; }
            int b = (int)Math.Floor((Math.Clamp(Log(v), lo, hi - 1e-9) - lo) / (hi - lo) * bins);
            counts[Math.Clamp(b, 0, bins - 1)]++;
        }
        int max = Math.Max(1, Math.Max(zeros, counts.Max()));
        double logLeft = left + zeroWidth + 8, bw = (width - right - logLeft) / bins;
        double XL(double l) => logLeft + (l - lo) / (hi - lo) * (width - right - logLeft);
        double Hgt(int c) => c / (double)max * (bottom - top);
        var sb = new StringBuilder(Svg(width, height));
        if (zeros > 0) sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + 2}\" y=\"{F(bottom - Hgt(zeros))}\" width=\"{zeroWidth - 2}\" height=\"{F(Hgt(zeros))}\" fill=\"#2e7d32\"><title>{zeros} exactly 0</title></rect>");
        for (int i = 0; i < bins; i++)
            if (counts[i] > 0) sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(logLeft + i * bw)}\" y=\"{F(bottom - Hgt(counts[i]))}\" width=\"{F(bw - 1)}\" height=\"{F(Hgt(counts[i]))}\" fill=\"#1565c0\"><title>{counts[i]}</title></rect>");
        foreach (var t in new[] { th.Excellent, th.Approximate })
            sb.Append(Line(XL(Log(t)), top, XL(Log(t)), bottom, "#999", " stroke-dasharray=\"3,3\""));
        sb.Append(Line(left, bottom, width - right, bottom)).Append(Line(left, top, left, bottom));
        sb.Append(LogAxis(bottom, v => XL(Log(v)), left + zeroWidth / 2.0 + 1, "relative error (log scale; 0 = exact)", (left + width - right) / 2.0));
        foreach (var c in new[] { 0, max / 2, max }.Distinct())
        {
            double y = bottom - Hgt(c);
            sb.Append(Line(left - 4, y, left, y)).Append(Text(left - 6, y + 3, c.ToString(CultureInfo.InvariantCulture), "end", 10));
        }
        sb.Append(YLabel(14, (top + bottom) / 2.0, "count"));
        if (infinite > 0) sb.Append(Text(width - right, top + 10, $"{infinite} non-finite", "end", 10));
        return sb.Append("</svg>").ToString();
    }

    private static string Heatmap(SpatialErrorMap m)
    {
        int cell = Math.Max(2, Math.Min(12, 280 / Math.Max(m.Height, m.Width)));
        const int left = 44, top = 10, bar = 12, steps = 10;
        int mapW = m.Width * cell, mapH = m.Height * cell;
        int barX = left + mapW + 18, width = barX + bar + 70, height = top + mapH + 44;
        double max = m.Max > 0 ? m.Max : 1;
        static string Red(double t) { int gb = (int)Math.Round(255 * (1 - Math.Clamp(t, 0, 1))); return $"rgb(255,{gb},{gb})"; }
        var sb = new StringBuilder(Svg(width, height, " shape-rendering=\"crispEdges\""));
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{mapW}\" height=\"{mapH}\" fill=\"#fff\" stroke=\"#333\"/>");
        for (int i = 0; i < m.Height; i++)
        for (int j = 0; j < m.Width; j++)
        {
            double t = Math.Clamp(m.Values[i * m.Width + j] / max, 0, 1);
            if (t > 0) sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + j * cell}\" y=\"{top + i * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{Red(t)}\"/>");
        }
        // Axes: pixel indices of the first and last column and row.
        sb.Append(Text(left + cell / 2.0, top + mapH + 13, "0")).Append(Text(left + mapW - cell / 2.0, top + mapH + 13, (m.Width - 1).ToString(CultureInfo.InvariantCulture)));
        sb.Append(Text(left + mapW / 2.0, top + mapH + 30, "column (W)", "middle", 11));
        sb.Append(Text(left - 4, top + cell / 2.0 + 3, "0", "end")).Append(Text(left - 4, top + mapH - cell / 2.0 + 3, (m.Height - 1).ToString(CultureInfo.InvariantCulture), "end"));
        sb.Append(YLabel(14, top + mapH / 2.0, "row (H)"));
        // Colour scale: white = 0 at the bottom, red = the map's maximum at the top.
        for (int s = 0; s < steps; s++)
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{barX}\" y=\"{F(top + mapH * s / (double)steps)}\" width=\"{bar}\" height=\"{F(mapH / (double)steps + 0.5)}\" fill=\"{Red(1 - (s + 0.5) / steps)}\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{barX}\" y=\"{top}\" width=\"{bar}\" height=\"{mapH}\" fill=\"none\" stroke=\"#333\"/>");
        sb.Append(Text(barX + bar + 4, top + 9, N(m.Max), "start")).Append(Text(barX + bar + 4, top + mapH, "0", "start"));
        return sb.Append("</svg>").ToString();
    }
}
