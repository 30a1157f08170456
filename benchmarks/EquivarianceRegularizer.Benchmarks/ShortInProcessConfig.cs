using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>A short in-process job (3 warm-ups, 3 measured iterations); libtorch on 1 intra-op thread (on a shared machine two OpenMP threads spin-wait for each other and time mostly the contention).</summary>
public sealed class ShortInProcessConfig : ManualConfig
{
    public ShortInProcessConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("short-inproc"));
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}
