// Fashion-MNIST, rot90 invariance: a small CNN trained (a) plainly, (b) with the equivariance regularizer on every
// step, (c) alternating a plain step with a regularizer-only step; then accuracy on the upright and rotated test
// sets and each model's equivariance error. Run: dotnet run -c Release --project examples/FashionMnistRotation [-- --quick]
using System.Diagnostics;
using System.Globalization;
using EquivarianceRegularizer;
using EquivarianceRegularizer.Data;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Kernels;
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
    var transforms = new[] { TransformSpec.Invariance(new RotationByQuarterTurns(), epsilon: 0, lambda: s.Lambda) };
    using var reg = new EquivarianceError(model, new long[] { 1, 28, 28 }, transforms, dist: "cross_entropy_logits", n: s.BatchSize,
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

internal enum Mode { Plain, Regularized, Alternating }

internal static class ModeNames
{
    public static string Label(this Mode m) => m switch
    {
        Mode.Plain => "(a) plain",
        Mode.Regularized => "(b) regularized",
        _ => "(c) alternating",
    };
}

/// <summary>Conv(1→16) BN ReLU MaxPool, Conv(16→32) BN ReLU MaxPool, Linear(32·7·7 → 10).</summary>
internal static class SmallCnn
{
    public static nn.Module<Tensor, Tensor> Create(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding: 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10));
    }
}

internal sealed record Evaluation(double UprightAccuracy, double[] RotatedAccuracy, double PredictionAgreement, double Error, double ErrorStandardError)
{
    public static Evaluation Run(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, Settings s)
    {
        model.eval();
        using var nograd = no_grad();
        var rot = new RotationByQuarterTurns();
        long n = x.size(0);
        long correct = 0, kept = 0;
        var rotatedCorrect = new long[3];
        var errors = new List<double>();
        const int chunk = 500;
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            long len = Math.Min(chunk, n - start);
            var xb = x.narrow(0, start, len);
            var yb = y.narrow(0, start, len);
            // The shared kernel with the three non-identity quarter turns given as elements: one batched forward.
            var pairs = Enumerable.Range(0, 3).Select(_ => TransformPair.Invariance(rot)).ToArray();
            var elements = Enumerable.Range(1, 3).Select(k => rot.Element(k, len)).ToArray();
            using var result = EquivarianceKernel.Evaluate(model, xb, pairs, Distance.CrossEntropyLogits, inputElements: elements);
            var upright = result.ModelOutput.argmax(1);
            correct += upright.eq(yb).sum().item<long>();
            for (int k = 0; k < 3; k++)
            {
                errors.AddRange(result.Distances[k].to_type(ScalarType.Float64).data<double>().ToArray());
                var predicted = result.TransformedOutputs[k].argmax(1);
                rotatedCorrect[k] += predicted.eq(yb).sum().item<long>();
                kept += predicted.eq(upright).sum().item<long>();
            }
            foreach (var e in elements) e.Dispose();
        }
        double mean = errors.Average();
        double sd = Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (errors.Count - 1));
        return new Evaluation((double)correct / n, rotatedCorrect.Select(c => (double)c / n).ToArray(), (double)kept / (3 * n), mean, sd / Math.Sqrt(errors.Count));
    }
}

internal sealed record Settings(int Epochs, int? TrainLimit, int? TestLimit, int BatchSize, double Lambda, double LearningRate, int Seed, int Threads, bool Quick, string Reader = "library")
{
    public static Settings? Parse(string[] args)
    {
        var s = new Settings(Epochs: 2, TrainLimit: 20000, TestLimit: null, BatchSize: 64, Lambda: 1.0, LearningRate: 2e-3, Seed: 1, Threads: 1, Quick: false);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Dbl() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--quick": s = s with { Quick = true, Epochs = 1, TrainLimit = 6000, TestLimit = 2000 }; break;
                case "--epochs": s = s with { Epochs = Int() }; break;
                case "--train-limit": s = s with { TrainLimit = Int() }; break;
                case "--full": s = s with { TrainLimit = null }; break;
                case "--test-limit": s = s with { TestLimit = Int() }; break;
                case "--batch": s = s with { BatchSize = Int() }; break;
                case "--lambda": s = s with { Lambda = Dbl() }; break;
                case "--lr": s = s with { LearningRate = Dbl() }; break;
                case "--seed": s = s with { Seed = Int() }; break;
                case "--threads": s = s with { Threads = Int() }; break;
                case "--reader":
                    string reader = Next();
                    if (reader is not ("library" or "torchvision"))
                        throw new ArgumentException($"--reader takes 'library' (EquivarianceRegularizer.Data.FashionMnist, reads Debian's .gz files) or 'torchvision' (TorchVision's FashionMNIST on a decompressed copy), not '{reader}'.");
                    s = s with { Reader = reader };
                    break;
                case "-h" or "--help":
                    Console.WriteLine("options: --quick | --epochs N --train-limit N | --full --test-limit N --batch N --lambda X --lr X --seed N --threads N --reader library|torchvision");
                    return null;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]} (see --help)");
                    return null;
            }
        }
        return s;
    }

    public string Describe() =>
        $"{Epochs} epoch(s) on {(TrainLimit is { } t ? t.ToString(CultureInfo.InvariantCulture) : "all")} training images, batch {BatchSize}, λ = {Lambda}, Adam lr {LearningRate}, seed {Seed}, {Threads} thread(s), {Reader} reader{(Quick ? " (--quick)" : string.Empty)}";
}
