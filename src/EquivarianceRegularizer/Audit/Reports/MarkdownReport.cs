using System.Text;
using static EquivarianceRegularizer.Audit.Reports.ReportText;

namespace EquivarianceRegularizer.Audit.Reports;

/// <summary>The report as Markdown (tables for layers and issues); user strings are escaped.</summary>
internal static class MarkdownReport
{
    /// <summary>Escapes Markdown and HTML metacharacters in a user-controlled string.</summary>
    public static string Escape(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '\n': case '\r': sb.Append(' '); break;
                case '|': case '\\': case '`': case '*': case '_': case '[': case ']': case '#':
                    sb.Append('\\').Append(c); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Renders the report.</summary>
    public static string Render(AuditReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        void L(string s = "") => sb.Append(s).Append('\n');
        L($"# Equivariance audit: {Escape(r.Model)}");
        L();
        L($"**Verdict: {Verdict(r.Verdict)}** — {Escape(string.Join("; ", r.Reasons))}");
        L();
        L($"- Symmetry: {Escape(r.Transform)} ({Escape(r.Group)}), {Escape(r.SymmetryType)}");
        L($"- Evaluation: {Escape(r.EvaluationMode)} mode, {r.DType}, seed {r.Seed}");
        L();
        L("## End-to-end");
        L();
        if (r.EndToEnd is { } e)
        {
            L($"{e.Samples} samples × {e.Elements} elements ({Escape(e.ElementSource)}); identity check {N(e.IdentityRelativeError)}.");
            L();
            L("| | min | mean | max | std |");
            L("|---|---|---|---|---|");
            L($"| absolute | {N(e.Absolute.Min)} | {N(e.Absolute.Mean)} | {N(e.Absolute.Max)} | {N(e.Absolute.Std)} |");
            L($"| relative | {N(e.Relative.Min)} | {N(e.Relative.Mean)} | {N(e.Relative.Max)} | {N(e.Relative.Std)} |");
            L();
            L($"Worst: sample {e.Worst.Sample} under {Escape(e.Worst.Element)}. Result: **{Result(e.Grade)}**.");
            if (r.Baseline is { } b) L($"\nInterpolation baseline ({Escape(b.Mask)}): mean {N(b.MeanRelative)}, max {N(b.MaxRelative)}.");
            if (r.Precision is { } p) L($"\nFloat64 re-run: {N(p.Float64MaxRelative)} ({(p.Collapsed ? "collapses: precision" : "does not collapse")}).");
            if (r.RandomInit is { } ri) L($"\nRandom-init baseline: max {N(ri.MaxRelative)}, trained/fresh ratio {N(ri.Ratio)}.");
        }
        else L("Not run.");
        L();
        L("## Layers");
        L();
        if (r.Layers.Count > 0)
        {
            L("| layer | type | own max rel | cumulative | ‖h‖ | ‖∂ℓ/∂h‖ | result |");
            L("|---|---|---|---|---|---|---|");
            foreach (var l in r.Layers)
                L(l.Tested
                    ? $"| {Escape(l.Name)} | {Escape(l.TypeName)} | {N(l.OwnMaxRelative)} | {N(l.CumulativeMaxRelative)} | {N(l.ActivationNorm)} | {N(l.GradientNorm)} | {l.VerdictText} |"
                    : $"| {Escape(l.Name)} | {Escape(l.TypeName)} | | | | | not tested: {Escape(l.NotTestableReason!)} |");
            L();
            L($"First failing layer: **{Escape(r.FirstFailingLayer ?? "none")}**");
            var ranked = LayerViews.Ranked(r.Layers);
            if (ranked.Count > 0)
            {
                L();
                L($"Largest own errors ({ranked.Count} of {r.Layers.Count(l => l.Tested)} tested layers, largest first):");
                L();
                L("| # | layer | type | own max rel | result |");
                L("|---|---|---|---|---|");
                for (int k = 0; k < ranked.Count; k++)
                    L($"| {k + 1} | {Escape(ranked[k].Name)} | {Escape(ranked[k].TypeName)} | {N(ranked[k].OwnMaxRelative)} | {ranked[k].VerdictText} |");
            }
        }
        else L("Not run.");
        L();
        L("## Gradient");
        L();
        if (r.Gradient is not { } g) L("Not run.");
        else if (!g.Judged) L($"Not judged: {Escape(g.NotJudgedReason ?? "")}");
        else L($"Max relative {N(g.Relative!.Max)}, mean {N(g.Relative.Mean)}: **{Result(g.Grade!.Value)}**.");
        L();
        L("## Issues");
        L();
        if (r.Diagnoses.Count == 0) L("None.");
        else
        {
            L("| kind | location | severity | evidence | fix |");
            L("|---|---|---|---|---|");
            foreach (var d in r.Diagnoses)
                L($"| {Kind(d.Kind)} | {Escape(d.Location)} | {d.Severity} | {Escape(d.Evidence)} | {Escape(d.Fix)} |");
        }
        L();
        L("## Notes");
        L();
        foreach (var n in r.Notes) L($"- {Escape(n)}");
        return EquivarianceRegularizer.Reports.ReportFormat.Printable(sb.ToString(), keepNewlines: true);
    }
}
