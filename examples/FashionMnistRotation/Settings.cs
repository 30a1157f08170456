using System.Globalization;

/// <summary>The example's command-line options (see --help).</summary>
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
