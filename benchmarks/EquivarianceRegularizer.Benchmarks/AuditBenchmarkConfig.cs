using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>One invocation per iteration (an audit takes seconds), 1 warm-up and 5 measured iterations, in process.</summary>
public sealed class AuditBenchmarkConfig : ManualConfig
{
    public AuditBenchmarkConfig()
    {
        AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithInvocationCount(1).WithUnrollFactor(1)
            .WithWarmupCount(1).WithIterationCount(5).WithLaunchCount(1).WithId("audit-short"));
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}
