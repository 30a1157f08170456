using System.Globalization;

namespace FashionMnistRotation;

/// <summary>The example's command-line options (see --help).</summary>
internal sealed record Settings
{
    public int Epochs { get; init; } = 2;
    public int? TrainLimit { get; init; } = 20000;
    public int? TestLimit { get; init; }
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-3;
    public IReadOnlyList<int> Seeds { get; init; } = new[] { 1, 2 };
    public int Threads { get; init; } = 1;
    public bool Quick { get; init; }
    public string Reader { get; init; } = "library";

    /// <summary>λ of the plain-regularizer sweep.</summary>
    public IReadOnlyList<double> Lambdas { get; init; } = new[] { 0.1, 0.3, 1.0, 3.0 };

    /// <summary>λ of augmentation + regularizer (and of the regularizer on unlabelled batches with few labels), one run each.</summary>
    public IReadOnlyList<double> AugmentedLambdas { get; init; } = new[] { 0.1 };

    /// <summary>ε of the constrained runs (λ by dual ascent), in the distance's units.</summary>
    public IReadOnlyList<double> Epsilons { get; init; } = new[] { 0.05, 0.2 };

    /// <summary>η of the dual ascent λ ← max(0, λ + η·(error − ε)).</summary>
    public double DualStep { get; init; } = 0.01;

    /// <summary>The regularizer's distance: kl (fixed target), js, ce (cross_entropy_logits).</summary>
    public string Distance { get; init; } = "kl";

    /// <summary>Variants to train, in order (null: all of <see cref="VariantKind"/>).</summary>
    public IReadOnlyList<VariantKind>? Variants { get; init; }

    /// <summary>Label counts for the few-labels comparison (empty: the full-label comparison).</summary>
    public IReadOnlyList<int> Labels { get; init; } = Array.Empty<int>();

    /// <summary>Where to write the result tables as Markdown (null: nowhere).</summary>
    public string? Markdown { get; init; }

    public static Settings? Parse(string[] args)
    {
        var s = new Settings();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Dbl() => double.Parse(Next(), CultureInfo.InvariantCulture);
            T[] List<T>(Func<string, T> parse) => Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToArray();
            switch (args[i])
            {
                case "--quick":
                    s = s with
                    {
                        Quick = true, Epochs = 1, TrainLimit = 6000, TestLimit = 500, Seeds = new[] { 1 }, Lambdas = new[] { 1.0 },
                        Variants = new[] { VariantKind.Plain, VariantKind.Augmentation, VariantKind.Regularizer, VariantKind.GroupAveraged },
                    };
                    break;
                case "--epochs": s = s with { Epochs = Int() }; break;
                case "--train-limit": s = s with { TrainLimit = Int() }; break;
                case "--full": s = s with { TrainLimit = null }; break;
                case "--test-limit": s = s with { TestLimit = Int() }; break;
                case "--batch": s = s with { BatchSize = Int() }; break;
                case "--lambda": s = s with { Lambdas = new[] { Dbl() } }; break;
                case "--lambdas": s = s with { Lambdas = List(Double) }; break;
                case "--aug-lambda": s = s with { AugmentedLambdas = new[] { Dbl() } }; break;
                case "--aug-lambdas": s = s with { AugmentedLambdas = List(Double) }; break;
                case "--epsilons": s = s with { Epsilons = List(Double) }; break;
                case "--dual-step": s = s with { DualStep = Dbl() }; break;
                case "--distance":
                    string d = Next();
                    if (d is not ("kl" or "js" or "ce"))
                        throw new ArgumentException($"--distance takes kl (KL to the upright prediction, a fixed target), js (Jensen–Shannon) or ce (cross_entropy_logits: l2 between log-softmaxes), not '{d}'.");
                    s = s with { Distance = d };
                    break;
                case "--lr": s = s with { LearningRate = Dbl() }; break;
                case "--seed": s = s with { Seeds = new[] { Int() } }; break;
                case "--seeds": s = s with { Seeds = List(p => int.Parse(p, CultureInfo.InvariantCulture)) }; break;
                case "--threads": s = s with { Threads = Int() }; break;
                case "--variants": s = s with { Variants = List(VariantNames.Parse) }; break;
                case "--labels": s = s with { Labels = List(p => int.Parse(p, CultureInfo.InvariantCulture)) }; break;
                case "--markdown": s = s with { Markdown = Next() }; break;
                case "--reader":
                    string reader = Next();
                    if (reader is not ("library" or "torchvision"))
                        throw new ArgumentException($"--reader takes 'library' (EquivarianceRegularizer.Data.FashionMnist, reads Debian's .gz files) or 'torchvision' (TorchVision's FashionMNIST on a decompressed copy), not '{reader}'.");
                    s = s with { Reader = reader };
                    break;
                case "-h" or "--help":
                    Console.WriteLine(Help);
                    return null;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]} (see --help)");
                    return null;
            }
        }
        s.Check();
        return s;
    }

    private static double Double(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private void Check()
    {
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, not {Epochs}.");
        if (BatchSize < 2) throw new ArgumentException($"--batch must be at least 2, not {BatchSize}.");
        if (TrainLimit is < 1) throw new ArgumentException($"--train-limit must be at least 1, not {TrainLimit}.");
        if (TestLimit is < 1) throw new ArgumentException($"--test-limit must be at least 1, not {TestLimit}.");
        if (Seeds.Count == 0) throw new ArgumentException("--seeds needs at least one seed.");
        if (Lambdas.Any(l => !(l >= 0))) throw new ArgumentException("--lambda/--lambdas take values ≥ 0.");
        if (AugmentedLambdas.Count == 0 || AugmentedLambdas.Any(l => !(l >= 0))) throw new ArgumentException("--aug-lambda/--aug-lambdas take values ≥ 0 (at least one).");
        if (Epsilons.Any(e => !(e >= 0))) throw new ArgumentException("--epsilons take values ≥ 0.");
        if (!(DualStep > 0)) throw new ArgumentException("--dual-step must be > 0.");
        if (Labels.Any(l => l < 10 || l % 10 != 0)) throw new ArgumentException("--labels take multiples of 10 (the same number from each of the 10 classes), at least 10.");
    }

    public const string Help =
        "Fashion-MNIST rot90: plain, augmentation, regularizer, augmentation + regularizer, constrained, group-averaged, compared.\n" +
        "options:\n" +
        "  --quick                 the demo's cut: 1 epoch on 6,000 images, 500 test images, seed 1: plain, augmentation, regularizer λ = 1, group-averaged\n" +
        "  --epochs N --train-limit N | --full --test-limit N --batch N --lr X\n" +
        "  --seeds 1,2 | --seed N  seeds (results are averaged over them)\n" +
        "  --variants LIST         any of plain,augmentation,regularizer,aug+reg,constrained,group-averaged (default: all)\n" +
        "  --lambdas 0.1,0.3,1,3   λ of the regularizer sweep (--lambda X: one λ)\n" +
        "  --aug-lambdas 0.1       λ of augmentation + regularizer (one run each; --aug-lambda X: one λ)\n" +
        "  --epsilons 0.05,0.2     ε of the constrained runs (λ by dual ascent toward ε); --dual-step X: its step η (0.01)\n" +
        "  --distance kl|js|ce     the regularizer's distance (default kl: KL to the upright prediction, a fixed target)\n" +
        "  --labels 250,1000,4000  few labels: that many labelled images (balanced), the rest of the training images unlabelled\n" +
        "  --markdown FILE         also write the tables as Markdown\n" +
        "  --threads N --reader library|torchvision";

    public string Describe() =>
        $"{Epochs} epoch(s) on {(TrainLimit is { } t ? t.ToString(CultureInfo.InvariantCulture) : "all")} training images, batch {BatchSize}, " +
        $"Adam lr {LearningRate}, seeds {string.Join(",", Seeds)}, distance {Distance}, {Threads} thread(s), {Reader} reader{(Quick ? " (--quick)" : string.Empty)}";
}
