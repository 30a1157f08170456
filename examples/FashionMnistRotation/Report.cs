using System.Globalization;
using System.Text;
using Spectre.Console;

namespace FashionMnistRotation;

/// <summary>One trained (or test-time-averaged) model of one seed, measured.</summary>
internal sealed record Result(string Label, int Seed, Evaluation Eval, double TrainSeconds, double? FinalLambda);

/// <summary>The results of every seed folded into one row per variant: means over the seeds.</summary>
internal sealed record Row(string Label, double Upright, double[] Rotated, double Kept, double Error, double TrainCost, double InferenceCost, double? FinalLambda, string CostUnit)
{
    public double MeanRotated => Rotated.Average();

    /// <summary>
    /// One row per label, in first-seen order; costs as ratios to <paramref name="baseline"/>'s in the same seed when
    /// it was run (else seconds).
    /// </summary>
    public static IReadOnlyList<Row> Fold(IReadOnlyList<Result> results, string baseline)
    {
        var rows = new List<Row>();
        foreach (var label in results.Select(r => r.Label).Distinct())
        {
            var mine = results.Where(r => r.Label == label).ToArray();
            double Ratio(Func<Result, double> cost) => mine.Average(r =>
                results.FirstOrDefault(b => b.Label == baseline && b.Seed == r.Seed) is { } b ? cost(r) / cost(b) : cost(r));
            bool hasBaseline = mine.All(r => results.Any(b => b.Label == baseline && b.Seed == r.Seed));
            rows.Add(new Row(label,
                mine.Average(r => r.Eval.UprightAccuracy),
                Enumerable.Range(0, 3).Select(k => mine.Average(r => r.Eval.RotatedAccuracy[k])).ToArray(),
                mine.Average(r => r.Eval.PredictionKept),
                mine.Average(r => r.Eval.Error),
                Ratio(r => r.TrainSeconds),
                Ratio(r => r.Eval.InferenceSeconds),
                mine.All(r => r.FinalLambda is not null) ? mine.Average(r => r.FinalLambda!.Value) : null,
                hasBaseline ? "×" : " s"));
        }
        return rows;
    }

    /// <summary>The row with the highest upright + rotated accuracy among those better on both, or null when none is.</summary>
    public Row? DominatedBy(IEnumerable<Row> rows) => rows
        .Where(o => o.Upright > Upright && o.MeanRotated > MeanRotated)
        .OrderByDescending(o => o.Upright + o.MeanRotated).FirstOrDefault();
}

/// <summary>Writes tables to the console (Spectre.Console) and, when asked, to a Markdown file.</summary>
internal sealed class Report(string? markdownPath)
{
    private readonly StringBuilder _markdown = new();

    public static string Pct(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture);

    public static string Times(double v, string unit) => v.ToString(unit == "×" ? "F2" : "F0", CultureInfo.InvariantCulture) + unit;

    public void Table(string title, string[] columns, IEnumerable<string[]> rows, string footnote)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(title)}[/]").AddColumns(columns.Select(Markup.Escape).ToArray());
        var all = rows.ToArray();
        foreach (var r in all) table.AddRow(r.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(footnote));
        _markdown.AppendLine($"**{title}**").AppendLine();
        _markdown.AppendLine("| " + string.Join(" | ", columns) + " |");
        _markdown.AppendLine("|" + string.Concat(Enumerable.Repeat(" --- |", columns.Length)));
        foreach (var r in all) _markdown.AppendLine("| " + string.Join(" | ", r) + " |");
        _markdown.AppendLine().AppendLine(footnote).AppendLine();
    }

    public void Save()
    {
        if (markdownPath is null) return;
        File.WriteAllText(markdownPath, _markdown.ToString());
        AnsiConsole.MarkupLine($"tables written to {Markup.Escape(markdownPath)}");
    }
}

/// <summary>The tables' columns.</summary>
internal static class TableColumns
{
    public static readonly string[] AllLabels =
        { "variant", "upright", "90° / 180° / 270°", "mean rotated", "prediction kept", "equivariance error", "train cost", "inference cost", "beaten on both by" };

    public static readonly string[] FewLabels =
        { "variant", "upright", "mean rotated", "prediction kept", "equivariance error", "train cost", "inference cost", "beaten on both by" };
}
