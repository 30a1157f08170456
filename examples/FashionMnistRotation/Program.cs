// Fashion-MNIST, rot90: the same small CNN trained the ways a practitioner would compare — plainly, with random
// quarter turns (augmentation), with the equivariance regularizer (a λ sweep), with both, with λ found by dual ascent
// toward ε, and averaged over the four turns (exactly invariant) — then accuracy upright and under each turn, the
// share of test images whose prediction survives every turn, the equivariance error, and training and inference cost.
// With --labels: the few-labels setting, where the regularizer also learns from unlabelled images.
// Run: dotnet run -c Release --project examples/FashionMnistRotation [-- --quick | --help]
using System.Diagnostics;
using System.Globalization;
using EquivarianceRegularizer.Data;
using EquivarianceRegularizer.Recipes;
using EquivarianceRegularizer.Transforms;
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
int steps = settings.Epochs * (int)Math.Max(1, trainX.size(0) / settings.BatchSize);
var report = new Report(settings.Markdown);

if (settings.Labels.Count == 0)
{
    var kinds = settings.Variants ?? Enum.GetValues<VariantKind>();
    var results = new List<Result>();
    foreach (int seed in settings.Seeds)
        foreach (var v in VariantNames.Expand(kinds, settings))
            results.AddRange(TrainAndEvaluate(v, new TrainingData(trainX, trainY, null, steps), seed));
    var rows = Row.Fold(results, "plain");
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
    var kinds = settings.Variants ?? new[]
    {
        VariantKind.Plain, VariantKind.Augmentation, VariantKind.GroupAveraged, VariantKind.Regularizer, VariantKind.AugmentationAndRegularizer,
    };
    var summary = new List<(int labels, IReadOnlyList<Row> rows)>();
    foreach (int labels in settings.Labels)
    {
        var results = new List<Result>();
        foreach (int seed in settings.Seeds)
        {
            var (images, targets, unlabelled) = SplitLabels(trainX, trainY, labels, seed);
            AnsiConsole.MarkupLine($"{labels} labelled images ({labels / 10} per class, drawn with seed {seed}), {unlabelled.size(0)} unlabelled; {steps} steps for every variant");
            foreach (var v in VariantNames.Expand(kinds, settings))
                results.AddRange(TrainAndEvaluate(v, new TrainingData(images, targets, v.Regularizes ? unlabelled : null, steps), seed));
            images.Dispose(); targets.Dispose(); unlabelled.Dispose();
        }
        var rows = Row.Fold(results, "plain");
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

IEnumerable<Result> TrainAndEvaluate(Variant v, TrainingData data, int seed)
{
    var model = Training.CreateModel(v, seed);
    var (seconds, finalLambda) = Training.Run(model, v, data, settings, seed);
    var eval = Evaluation.Run(model, testX, testY);
    Log(v.Label, seed, eval, seconds);
    var results = new List<Result> { new(v.Label, seed, eval, seconds, finalLambda) };
    if (v.Kind == VariantKind.Augmentation)
    {
        // The augmented model averaged over the four turns at test time only: no extra training, 4× inference.
        using var averaged = GroupAveraged.Invariant(model, Transform.RotationByQuarterTurns());
        var tta = Evaluation.Run(averaged, testX, testY);
        const string label = "augmentation, averaged at test";
        Log(label, seed, tta, seconds);
        results.Add(new Result(label, seed, tta, seconds, null));
    }
    else
    {
        model.Dispose();
    }
    return results;
}

static void Log(string label, int seed, Evaluation e, double seconds) =>
    AnsiConsole.MarkupLine(Markup.Escape($"{label}, seed {seed}: upright {Report.Pct(e.UprightAccuracy)}, rotated {string.Join(" / ", e.RotatedAccuracy.Select(Report.Pct))}, " +
        $"kept {Report.Pct(e.PredictionKept)}, error {e.Error:F3}, trained in {seconds:F0} s, test pass {e.InferenceSeconds:F2} s"));

static (Tensor images, Tensor labels) LoadFashionMnist(bool train, int? limit, string reader) => reader == "torchvision"
    ? TorchVisionFashionMnist.Load(train, limit)
    : FashionMnist.Load(train, limit);

// A balanced labelled subset (labels / 10 images of each class, drawn with the seed); every other image is unlabelled.
static (Tensor images, Tensor labels, Tensor unlabelled) SplitLabels(Tensor x, Tensor y, int labels, int seed)
{
    using var scope = NewDisposeScope();
    using var g = new Generator((ulong)seed + 5);
    var order = randperm(x.size(0), generator: g);
    var shuffled = y.index_select(0, order);
    var chosen = new List<Tensor>();
    for (int c = 0; c < 10; c++)
    {
        var ofClass = order.index_select(0, shuffled.eq(c).nonzero().squeeze(1));
        if (ofClass.size(0) < labels / 10)
            throw new ArgumentException($"--labels {labels} needs {labels / 10} images of each class, but the training images hold {ofClass.size(0)} of class {c}; raise --train-limit.");
        chosen.Add(ofClass.narrow(0, 0, labels / 10));
    }
    var labelled = cat(chosen);
    var mask = ones(x.size(0), ScalarType.Bool);
    mask.index_put_(tensor(false), labelled);
    var rest = mask.nonzero().squeeze(1);
    return (x.index_select(0, labelled).MoveToOuterDisposeScope(), y.index_select(0, labelled).MoveToOuterDisposeScope(),
        x.index_select(0, rest).MoveToOuterDisposeScope());
}
