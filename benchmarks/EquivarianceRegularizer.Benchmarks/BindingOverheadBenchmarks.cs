using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using EquivarianceRegularizer.Torch;
using EquivarianceRegularizer.Torch.Diagnostics;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// Cost of the managed binding over libtorch: the same op called through the .NET API (create the result
/// tensor, dispose it) and looped inside the native bridge in C++ (<see cref="NativeBaselines"/>), per operation.
/// Ratio = managed / native in each category. Times are the benchmark thread's CPU time (<see cref="ThreadCpuClock"/>),
/// so other jobs on a shared machine do not inflate one side more than the other; see <see cref="BindingOverheadConfig"/>
/// for the allocator setting that keeps the conv2d comparison about the binding. Run:
/// <c>dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --filter '*BindingOverhead*' --job short</c>
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BindingOverheadConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class BindingOverheadBenchmarks
{
    private const int AddOps = 20_000;
    private const int ConvOps = 4;

    private Tensor _a = null!, _b = null!;
    private Tensor _x = null!, _w = null!, _bias = null!;

    [GlobalSetup]
    public void Setup()
    {
        // One intra-op thread on both sides: ATen then runs every kernel on the calling thread, whose CPU time is
        // what ThreadCpuClock measures, and the ratio measures the binding, not thread-pool scheduling.
        set_num_threads(1);
        using var g = new Generator(1);
        _a = randn(new long[] { 16 }, g);
        _b = randn(new long[] { 16 }, g);
        _x = randn(new long[] { 64, 16, 32, 32 }, g);
        _w = randn(new long[] { 32, 16, 3, 3 }, g);
        _bias = randn(new long[] { 32 }, g);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _a, _b, _x, _w, _bias }) t.Dispose();
    }

    /// <summary>16-element float add through the managed API.</summary>
    [BenchmarkCategory("Add16"), Benchmark(OperationsPerInvoke = AddOps)]
    public void ManagedAdd()
    {
        for (int i = 0; i < AddOps; i++)
        {
            using var r = _a.add(_b);
        }
    }

    /// <summary>The same add looped in C++.</summary>
    [BenchmarkCategory("Add16"), Benchmark(Baseline = true, OperationsPerInvoke = AddOps)]
    public void NativeAdd() => NativeBaselines.AddLoop(_a, _b, AddOps);

    /// <summary>64×16×32×32 conv2d with 32 3×3 filters, padding 1, through the managed API.</summary>
    [BenchmarkCategory("Conv2d"), Benchmark(OperationsPerInvoke = ConvOps)]
    public void ManagedConv2d()
    {
        for (int i = 0; i < ConvOps; i++)
        {
            using var r = nn.functional.conv2d(_x, _w, _bias, padding: new long[] { 1, 1 });
        }
    }

    /// <summary>The same conv2d looped in C++.</summary>
    [BenchmarkCategory("Conv2d"), Benchmark(Baseline = true, OperationsPerInvoke = ConvOps)]
    public void NativeConv2d() => NativeBaselines.Conv2dLoop(_x, _w, _bias, ConvOps);
}

/// <summary>
/// Applies to whatever job the command line picks (e.g. <c>--job short</c>): the <see cref="ThreadCpuClock"/>, and a
/// fixed glibc mmap threshold. Without it glibc's adaptive threshold decides, by the process's allocation history,
/// whether the conv's 8 MB output comes back from the heap or from fresh mmap pages that the kernel must fault in and
/// zero; measured on this machine that alone moves a conv2d between about 4 ms and 12 ms of CPU time in either API,
/// at random per process, which would swamp the binding's cost. Fixing the threshold (32 MiB, glibc's maximum) puts
/// both sides on the reused-heap path.
/// </summary>
public sealed class BindingOverheadConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public BindingOverheadConfig()
    {
        AddJob(Job.Default
            .WithClock(ThreadCpuClock.Instance)
            .WithEnvironmentVariables(
                new EnvironmentVariable("MALLOC_MMAP_THRESHOLD_", "33554432"),
                new EnvironmentVariable("MALLOC_TRIM_THRESHOLD_", "268435456"))
            .AsMutator());
    }
}
