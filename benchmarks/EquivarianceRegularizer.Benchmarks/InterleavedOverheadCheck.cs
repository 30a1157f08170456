using EquivarianceRegularizer.Torch;
using EquivarianceRegularizer.Torch.Diagnostics;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// A cross-check of <see cref="BindingOverheadBenchmarks"/> for shared machines: BenchmarkDotNet measures the managed
/// and the native variant one after the other in separate processes, so a change in the machine's other load between
/// them moves the ratio by a few percent. Here the two alternate in short blocks within one process (thread CPU
/// time, one intra-op thread) and the ratio is the median of the per-block ratios. Run:
/// <c>dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --interleaved-binding-overhead</c>
/// </summary>
internal static class InterleavedOverheadCheck
{
    public const string Flag = "--interleaved-binding-overhead";

    public static void Run()
    {
        set_num_threads(1);
        using var g = new Generator(1);
        using var a = randn(new long[] { 16 }, g);
        using var b = randn(new long[] { 16 }, g);
        using var x = randn(new long[] { 64, 16, 32, 32 }, g);
        using var w = randn(new long[] { 32, 16, 3, 3 }, g);
        using var bias = randn(new long[] { 32 }, g);
        var padding = new long[] { 1, 1 };

        Report("Add16", blocks: 200, warmUp: 20, opsPerBlock: 20_000,
            managed: n => { for (int i = 0; i < n; i++) { using var r = a.add(b); } },
            native: n => NativeBaselines.AddLoop(a, b, n));
        Report("Conv2d", blocks: 40, warmUp: 4, opsPerBlock: 4,
            managed: n => { for (int i = 0; i < n; i++) { using var r = nn.functional.conv2d(x, w, bias, padding: padding); } },
            native: n => NativeBaselines.Conv2dLoop(x, w, bias, n));
    }

    private static void Report(string name, int blocks, int warmUp, int opsPerBlock, Action<int> managed, Action<int> native)
    {
        var m = new List<double>();
        var n = new List<double>();
        for (int k = 0; k < blocks + warmUp; k++)
        {
            long t0 = ThreadCpuClock.Instance.GetTimestamp();
            managed(opsPerBlock);
            long t1 = ThreadCpuClock.Instance.GetTimestamp();
            native(opsPerBlock);
            long t2 = ThreadCpuClock.Instance.GetTimestamp();
            if (k < warmUp) continue;
            m.Add((t1 - t0) / (double)opsPerBlock);
            n.Add((t2 - t1) / (double)opsPerBlock);
        }
        var ratios = m.Zip(n, (mi, ni) => mi / ni).ToList();
        Console.WriteLine($"{name}: managed {Median(m):F1} ns/op, native {Median(n):F1} ns/op, median ratio {Median(ratios):F3} " +
            $"(quartiles {Quantile(ratios, 0.25):F3}..{Quantile(ratios, 0.75):F3}, {blocks} blocks of {opsPerBlock} ops)");
    }

    private static double Median(List<double> v) => Quantile(v, 0.5);

    private static double Quantile(List<double> v, double q)
    {
        var sorted = v.Order().ToList();
        return sorted[(int)Math.Round(q * (sorted.Count - 1))];
    }
}
