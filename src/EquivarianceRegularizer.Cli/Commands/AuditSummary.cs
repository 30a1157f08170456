using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using Spectre.Console;

namespace EquivarianceRegularizer.Cli.Commands;

/// <summary>What `eqv audit` prints on standard output: the summary table, layers, diagnoses and the verdict line.</summary>
internal static class AuditSummary
{
    /// <summary>Prints <paramref name="r"/>; <paramref name="quiet"/>: only the verdict line.</summary>
    public static void Show(IAnsiConsole console, AuditReport r, bool quiet)
    {
        string verdict = ReportText.Verdict(r.Verdict);
        string color = r.Verdict switch { Verdict.Pass => "green", Verdict.NeedsAttention => "yellow", _ => "red" };
        if (!quiet)
        {
            var summary = new Table().AddColumn("Test").AddColumn("Result").AddColumn("Detail");
            summary.Title = new TableTitle(Markup.Escape($"{r.Model}: {r.Transform} ({r.Group}), {r.SymmetryType}, {r.EvaluationMode} mode, {r.DType}"));
            if (r.EndToEnd is { } e)
                summary.AddRow("end-to-end", ReportText.Result(e.Grade), Markup.Escape($"max rel {ReportText.N(e.Relative.Max)}, mean rel {ReportText.N(e.Relative.Mean)}, max abs {ReportText.N(e.Absolute.Max)}; {e.Samples} samples × {e.Elements} elements ({e.ElementSource})"));
            if (r.Baseline is { } b) summary.AddRow("interpolation baseline", "-", Markup.Escape($"max rel {ReportText.N(b.MaxRelative)} ({b.Mask})"));
            if (r.Precision is { } p) summary.AddRow("float64 re-run", p.Collapsed ? "precision" : "same", Markup.Escape($"max rel {ReportText.N(p.Float64MaxRelative)}"));
            if (r.Gradient is { } g)
                summary.AddRow("gradient", g.Judged ? ReportText.Result(g.Grade!.Value) : "NOT JUDGED", Markup.Escape(g.Judged ? $"max rel {ReportText.N(g.Relative!.Max)}" : g.NotJudgedReason ?? ""));
            if (r.RandomInit is { } ri) summary.AddRow("random init", "-", Markup.Escape($"max rel {ReportText.N(ri.MaxRelative)}, trained/fresh {ReportText.N(ri.Ratio)}"));
            console.Write(summary);
            if (r.Layers.Count > 0)
            {
                var t = new Table().AddColumn("Layer").AddColumn("Type").AddColumn("Own max rel").AddColumn("Cumulative").AddColumn("Result");
                foreach (var l in r.Layers)
                    t.AddRow(Markup.Escape(l.Name), Markup.Escape(l.TypeName), l.Tested ? ReportText.N(l.OwnMaxRelative) : "-", l.Tested ? ReportText.N(l.CumulativeMaxRelative) : "-",
                        Markup.Escape(l.Tested ? l.VerdictText : "not tested: " + l.NotTestableReason));
                console.Write(t);
                console.MarkupLine("First failing layer: [bold]" + Markup.Escape(r.FirstFailingLayer ?? "none") + "[/]");
            }
            foreach (var d in r.Diagnoses)
                console.MarkupLine(Markup.Escape($"[{ReportText.Kind(d.Kind)}] {d.Location} ({d.Severity}): {d.Evidence}. Fix: {d.Fix}"));
        }
        console.MarkupLine($"[bold {color}]{verdict}[/] " + Markup.Escape(string.Join("; ", r.Reasons)));
    }
}
