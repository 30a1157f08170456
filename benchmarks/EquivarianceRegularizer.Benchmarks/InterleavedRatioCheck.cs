namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// The targets' ratios measured robustly on a shared machine. BenchmarkDotNet measures one method after another, so a
/// change in the machine's other load between them moves a ratio by tens of percent; here the computations of one
/// ratio alternate round by round in one process, each timed by the benchmark thread's CPU time
/// (<see cref="ThreadCpuClock"/>; libtorch runs on one intra-op thread, so all the work is on this thread), and each
/// ratio is the median of the per-round ratios. It reuses the benchmark classes' setups and methods, so it measures
/// exactly what they do. Run:
/// <c>dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --interleaved [rounds] [lee]</c>
/// (<c>lee</c>: the LEE section only, for quick checks; its ratios then start from a fresh heap, and the first
/// computations of each round may fault pages in that the full run's earlier sections already hold: compare the page
/// faults printed with each median, see <see cref="PageFaults"/>; <c>training [cnn|resnet18] [1|4]</c>: the training-step
/// section only, optionally one model and one numFuncs).
/// </summary>
internal static class InterleavedRatioCheck
{
    public const string Flag = "--interleaved";

    public static void Run(int rounds, bool leeOnly = false, bool trainingOnly = false, string? model = null, int? numFuncs = null)
    {
        if (trainingOnly)
        {
            RunTrainingStep(rounds, warmUp: 3, model, numFuncs);
            return;
        }
        const int warmUp = 5;
        Console.WriteLine($"Interleaved medians of thread CPU time, {rounds} rounds after {warmUp} warm-up rounds, 1 libtorch thread.");
        if (!leeOnly) RunStepAndKernel(rounds, warmUp);
        RunLee(rounds, warmUp);
    }

    private static readonly string[] TrainingModels = ["cnn", "resnet18"];
    private static readonly int[] TrainingNumFuncs = [1, 4];

    /// <summary>A user's training step with the shared output against the hand-written penalty (TrainingStepBenchmarks).</summary>
    private static void RunTrainingStep(int rounds, int warmUp, string? onlyModel, int? onlyNumFuncs)
    {
        foreach (string model in TrainingModels.Where(m => onlyModel is null || m == onlyModel))
            foreach (int numFuncs in TrainingNumFuncs.Where(k => onlyNumFuncs is null || k == onlyNumFuncs))
            {
                using var step = new TrainingStepBenchmarks { Model = model, NumFuncs = numFuncs };
                step.Setup();
                Report($"training step, {model}, batch 64, numFuncs {numFuncs}", rounds, warmUp,
                    ("hand-written penalty", () => step.HandWrittenStep()),
                    ("reg.call(x, logits)", () => step.SharedOutputStep()),
                    ("reg.call(x)", () => step.OwnForwardStep()),
                    ("plain step", () => step.PlainStep()));
            }
    }

    private static void RunStepAndKernel(int rounds, int warmUp)
    {
        foreach (int numFuncs in new[] { 1, 4 })
        {
            using var step = new RegularizedStepBenchmarks { NumFuncs = numFuncs };
            step.Setup();
            Report($"regularized step, numFuncs {numFuncs}", rounds, warmUp,
                ("lower bound", () => step.LowerBoundStep()),
                ("regularized step", () => step.RegularizedStep()),
                ("plain step", () => step.PlainStep()));
        }

        using (var kernel = new KernelBatchingBenchmarks())
        {
            kernel.Setup();
            Report("kernel, 4 transforms on 64 points", rounds, warmUp,
                ("per-transform loop", () => kernel.PerTransform()),
                ("batched", () => kernel.Batched()),
                ("reference loop (8 calls)", () => kernel.ReferenceLoop()));
        }
    }

    private static void RunLee(int rounds, int warmUp)
    {
        var lie = new LieDerivativeBenchmarks { Batch = 64 };
        lie.Setup();
        try
        {
            Report("end-to-end LEE, batch 64", rounds, warmUp,
                ("forward", () => lie.Forward()),
                ("LEE forward mode", () => lie.LeeForwardMode()),
                ("LEE double backward", () => lie.LeeDoubleBackward()),
                ("jvp alone (forward mode)", () => lie.JvpOnly()),
                ("input tangent alone", () => lie.TangentOnly()));
        }
        finally
        {
            lie.Cleanup();
        }
    }

    /// <summary>Times the computations in turn each round; prints each one's median and its median ratio to the first.</summary>
    private static void Report(string title, int rounds, int warmUp, params (string Name, Func<double> Run)[] computations)
    {
        var times = computations.Select(_ => new List<double>()).ToArray();
        var faults = computations.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds + warmUp; round++)
        {
            for (int i = 0; i < computations.Length; i++)
            {
                long f0 = PageFaults.Minor();
                long t0 = ThreadCpuClock.Instance.GetTimestamp();
                double value = computations[i].Run();
                long t1 = ThreadCpuClock.Instance.GetTimestamp();
                long f1 = PageFaults.Minor();
                if (!double.IsFinite(value)) throw new InvalidOperationException($"{computations[i].Name} returned {value}.");
                if (round >= warmUp)
                {
                    times[i].Add((t1 - t0) / 1e6);
                    faults[i].Add(f1 - f0);
                }
            }
        }
        Console.WriteLine(title + ":");
        for (int i = 0; i < computations.Length; i++)
        {
            var ratios = times[i].Zip(times[0], (t, baseline) => t / baseline).ToList();
            Console.WriteLine(FormattableString.Invariant(
                $"  {computations[i].Name,-26} median {Quantile(times[i], 0.5),9:F2} ms   ratio to {computations[0].Name}: median {Quantile(ratios, 0.5):F3} (quartiles {Quantile(ratios, 0.25):F3}..{Quantile(ratios, 0.75):F3}), page faults {Quantile(faults[i], 0.5):F0}"));
        }
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Round(q * (sorted.Count - 1))];
    }
}
