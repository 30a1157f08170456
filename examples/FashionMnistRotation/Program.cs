// Fashion-MNIST, rot90: the same small CNN trained the ways a practitioner would compare — plainly, with random
// quarter turns (augmentation), with the equivariance regularizer (a λ sweep), with both, with λ found by dual ascent
// toward ε, and averaged over the four turns (exactly invariant) — then accuracy upright and under each turn, the
// share of test images whose prediction survives every turn, the equivariance error, and training and inference cost.
// With --labels: the few-labels setting, where the regularizer also learns from unlabelled images.
// Run: dotnet run -c Release --project examples/FashionMnistRotation [-- --quick | --help]
using System.Diagnostics;
using System.Globalization;
using EquivarianceRegularizer.Data;
using FashionMnistRotation;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

Settings? settings;
try
{
    settings = Settings.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"{e.Message} (see --help)");
    return 2;
}
if (settings is null) return 1;
set_num_threads(settings.Threads);
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 220; // a log keeps the whole table

var clock = Stopwatch.StartNew();
var (trainX, trainY) = LoadFashionMnist(train: true, settings.TrainLimit, settings.Reader);
var (testX, testY) = LoadFashionMnist(train: false, settings.TestLimit, settings.Reader);
AnsiConsole.MarkupLine($"[bold]Fashion-MNIST rot90[/] — {Markup.Escape(settings.Describe())}");
AnsiConsole.MarkupLine($"loaded {trainX.size(0)} training and {testX.size(0)} test images from {FashionMnist.DebianDirectory} " +
    $"with the {settings.Reader} reader in {clock.Elapsed.TotalSeconds:F1} s");
var comparison = new Comparison(settings, testX, testY);
int steps = comparison.Steps(trainX.size(0));
var report = new Report(settings.Markdown);

if (settings.Labels.Count == 0)
{
    var rows = comparison.AllLabels(trainX, trainY);
    report.Table($"all labels: {trainX.size(0)} training images, {settings.Epochs} epoch(s) ({steps} steps of {settings.BatchSize}), " +
                 $"{testX.size(0)} test images, mean over seeds {string.Join(", ", settings.Seeds)}",
        TableColumns.AllLabels,
        rows.Select(r => new[]
        {
            r.Label + (r.FinalLambda is { } l ? $" (final λ {l:F2})" : string.Empty), Report.Pct(r.Upright),
            string.Join(" / ", r.Rotated.Select(Report.Pct)), Report.Pct(r.MeanRotated), Report.Pct(r.Kept), r.Error.ToString("F3", CultureInfo.InvariantCulture),
            Report.Times(r.TrainCost, r.CostUnit), Report.Times(r.InferenceCost, r.CostUnit), r.DominatedBy(rows)?.Label ?? "—",
        }),
        "Accuracy in %. Prediction kept: test images whose predicted class is the same under all four turns. Equivariance error: " +
        "mean over test images and the three turns of ||log_softmax f(rot x) − log_softmax f(x)||₂. Costs: wall-clock time of training " +
        "and of an upright pass over (at most) 2,000 test images, as ratios to plain in the same seed. Beaten on both by: the variant with the best " +
        "upright + rotated accuracy among those more accurate both upright and rotated (— when none is).");
}
else
{
    var summary = new List<(int labels, IReadOnlyList<Row> rows)>();
    foreach (int labels in settings.Labels)
    {
        var rows = comparison.FewLabels(trainX, trainY, labels);
        summary.Add((labels, rows));
        report.Table($"{labels} labels, {trainX.size(0) - labels} unlabelled: {steps} steps of {settings.BatchSize} labelled images " +
                     $"(+ {settings.BatchSize} unlabelled for the regularizer), {testX.size(0)} test images, mean over seeds {string.Join(", ", settings.Seeds)}",
            TableColumns.FewLabels,
            rows.Select(r => new[]
            {
                r.Label, Report.Pct(r.Upright), Report.Pct(r.MeanRotated), Report.Pct(r.Kept), r.Error.ToString("F3", CultureInfo.InvariantCulture),
                Report.Times(r.TrainCost, r.CostUnit), Report.Times(r.InferenceCost, r.CostUnit), r.DominatedBy(rows)?.Label ?? "—",
            }),
            "Accuracy in %. The regularizer runs on unlabelled batches (it needs no labels); augmentation and the averaged model can only use the labelled ones.");
    }
    var labels0 = summary[0].rows.Select(r => r.Label).ToArray();
    report.Table("few labels: upright / mean rotated accuracy (%)",
        summary.Select(s => $"{s.labels} labels").Prepend("variant").ToArray(),
        labels0.Select(label => new[] { label }.Concat(summary.Select(s => s.rows.FirstOrDefault(r => r.Label == label) is { } r
            ? $"{Report.Pct(r.Upright)} / {Report.Pct(r.MeanRotated)}" : "—")).ToArray()),
        $"Mean over seeds {string.Join(", ", settings.Seeds)}.");
}
AnsiConsole.MarkupLine($"Total {clock.Elapsed.TotalSeconds:F0} s.");
report.Save();
trainX.Dispose(); trainY.Dispose(); testX.Dispose(); testY.Dispose();
return 0;

static (Tensor images, Tensor labels) LoadFashionMnist(bool train, int? limit, string reader) => reader == "torchvision"
    ? TorchVisionFashionMnist.Load(train, limit)
    : FashionMnist.Load(train, limit);
