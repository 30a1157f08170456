using EquivarianceRegularizer.Distances;
// Fashion-MNIST, rot90 invariance: a small CNN trained (a) plainly, (b) with the equivariance regularizer on every
// step, (c) alternating a plain step with a regularizer-only step; then accuracy on the upright and rotated test
// sets and each model's equivariance error. Run: dotnet run -c Release --project examples/FashionMnistRotation [-- --quick]
using System.Diagnostics;
using System.Globalization;
using EquivarianceRegularizer;
using EquivarianceRegularizer.Data;
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
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 132; // a log keeps the whole table

AnsiConsole.MarkupLine($"[bold]Fashion-MNIST rot90 invariance[/] — {settings.Describe()}");
var clock = Stopwatch.StartNew();
var (trainX, trainY) = LoadFashionMnist(train: true, settings.TrainLimit, settings.Reader);
var (testX, testY) = LoadFashionMnist(train: false, settings.TestLimit, settings.Reader);
AnsiConsole.MarkupLine($"loaded {trainX.size(0)} training and {testX.size(0)} test images from {FashionMnist.DebianDirectory} " +
    $"with the {settings.Reader} reader in {clock.Elapsed.TotalSeconds:F1} s");

var results = new List<(string name, Evaluation eval, double seconds)>();
foreach (var mode in new[] { Mode.Plain, Mode.Regularized, Mode.Alternating })
{
    var started = clock.Elapsed;
    using var model = SmallCnn.Create(settings.Seed);
    Train(model, mode, trainX, trainY, settings);
    var eval = Evaluation.Run(model, testX, testY, settings);
    results.Add((mode.Label(), eval, (clock.Elapsed - started).TotalSeconds));
}

var table = new Table().Title("[bold]test set[/] (" + testX.size(0) + " images)")
    .AddColumns("model", "upright acc", "rotated acc 90°/180°/270°", "mean rotated acc", "prediction kept", "equivariance error ± SE", "train+eval s");
foreach (var (name, e, seconds) in results)
    table.AddRow(name, Pct(e.UprightAccuracy), string.Join(" / ", e.RotatedAccuracy.Select(Pct)), Pct(e.RotatedAccuracy.Average()),
        Pct(e.PredictionAgreement), $"{e.Error:F3} ± {e.ErrorStandardError:F3}", $"{seconds:F0}");
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"equivariance error: mean over test images and the three non-identity quarter turns of ||log_softmax f(rot x) − log_softmax f(x)||₂ (cross_entropy_logits); prediction kept: share of (image, turn) whose predicted class does not change. Total {clock.Elapsed.TotalSeconds:F0} s.");
trainX.Dispose(); trainY.Dispose(); testX.Dispose(); testY.Dispose();
return 0;

static (Tensor images, Tensor labels) LoadFashionMnist(bool train, int? limit, string reader) => reader == "torchvision"
    ? TorchVisionFashionMnist.Load(train, limit)
    : FashionMnist.Load(train, limit);

static string Pct(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + "%";

static void Train(nn.Module<Tensor, Tensor> model, Mode mode, Tensor x, Tensor y, Settings s)
{
    using var optimizer = optim.Adam(model.parameters(), lr: s.LearningRate);
    var transforms = new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns(), epsilon: 0, lambda: s.Lambda) };
    using var reg = new EquivarianceError(model, new long[] { 1, 28, 28 }, transforms, dist: Distance.CrossEntropyLogits, n: s.BatchSize,
        options: new EquivarianceErrorOptions { Seed = (ulong)s.Seed + 1 });
    using var criterion = nn.CrossEntropyLoss();
    using var shuffle = new Generator((ulong)s.Seed + 2);
    long n = x.size(0);
    int batches = (int)((n + s.BatchSize - 1) / s.BatchSize);
    model.train();
    for (int epoch = 1; epoch <= s.Epochs; epoch++)
    {
        double lossSum = 0, regSum = 0;
        int lossCount = 0, regCount = 0;
        var watch = Stopwatch.StartNew();
        void RunEpoch(Action<string> report)
        {
            using var order = randperm(n, generator: shuffle);
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                long start = b * (long)s.BatchSize, len = Math.Min(s.BatchSize, n - start);
                var idx = order.narrow(0, start, len);
                var xb = x.index_select(0, idx);
                var yb = y.index_select(0, idx);
                if (mode == Mode.Alternating && b % 2 == 1)
                {
                    // The reference package's memory advice: a regularizer-only step between standard steps.
                    regSum += reg.StepRegularizerOnly(optimizer, xb);
                    regCount++;
                }
                else
                {
                    optimizer.zero_grad();
                    var loss = criterion.call(model.call(xb), yb);
                    lossSum += loss.ToDouble();
                    lossCount++;
                    if (mode == Mode.Regularized)
                    {
                        var penalty = reg.call(xb);
                        regSum += penalty.ToDouble();
                        regCount++;
                        loss = loss + penalty;
                    }
                    loss.backward();
                    optimizer.step();
                }
                report($"{mode.Label()} epoch {epoch}/{s.Epochs} loss {lossSum / Math.Max(1, lossCount):F3}");
            }
        }

        if (Console.IsOutputRedirected)
        {
            RunEpoch(_ => { });
        }
        else
        {
            AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{mode.Label()} epoch {epoch}/{s.Epochs}", maxValue: batches);
                    RunEpoch(text =>
                    {
                        task.Description = text;
                        task.Increment(1);
                    });
                });
        }
        string regText = regCount > 0 ? $", regularizer {regSum / regCount:F3}" : string.Empty;
        AnsiConsole.MarkupLine($"{mode.Label()} epoch {epoch}/{s.Epochs}: cross-entropy {lossSum / Math.Max(1, lossCount):F3}{regText} ({watch.Elapsed.TotalSeconds:F0} s)");
    }
}
