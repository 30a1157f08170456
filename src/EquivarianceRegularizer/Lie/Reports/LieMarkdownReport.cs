using System.Text;
using static EquivarianceRegularizer.Reports.ReportFormat;

namespace EquivarianceRegularizer.Lie.Reports;

/// <summary>The LEE report as Markdown: one table of transforms, then one table of layers per transform.</summary>
internal static class LieMarkdownReport
{
    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    /// <summary>Renders the report.</summary>
    public static string Render(LieReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        void L(string s = "") => sb.Append(s).Append('\n');
        L($"# Lie-derivative error (LEE): {Cell(r.Model)}");
        L();
        L($"{r.Samples} {Cell(r.Data)} inputs of shape [{string.Join(",", r.InputShape)}], seed {r.Seed}, {r.Aggregation}, {r.EvaluationMode} mode; {r.Conventions}.");
        L();
        L("| transform | LEE | ± s.e. | output | method |");
        L("| --- | --- | --- | --- | --- |");
        foreach (var t in r.Results)
            L($"| {Cell(t.Transform)} | {N(t.Total.Value)} | {N(t.Total.StandardError)} | {t.Total.Output} | {t.Total.Method} |");
        foreach (var t in r.Results)
        {
            if (t.Layers is not { } layers) continue;
            L();
            L($"## {Cell(t.Transform)}: by layer (sum residual {N(layers.SumRelativeResidual)})");
            L();
            L("| # | layer | kind | role | LEE | share | cumulative |");
            L("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var l in layers.Layers)
                L($"| {l.Index} | {Cell(l.Name)} | {Cell(l.Kind)} | {l.Role} | {N(l.Lee)} | {Percent(l.Share)} | {Percent(l.CumulativeShare)} |");
        }
        if (r.AllNotes.Count > 0)
        {
            L();
            L("## Notes");
            L();
            foreach (var n in r.AllNotes) L("- " + Cell(n));
        }
        return EquivarianceRegularizer.Reports.ReportFormat.Printable(sb.ToString(), keepNewlines: true);
    }

    internal static string Percent(double share) =>
        double.IsFinite(share) ? (share * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " %" : "n/a";
}
