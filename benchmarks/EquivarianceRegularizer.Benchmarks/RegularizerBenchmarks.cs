using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Kernels;
using EquivarianceRegularizer.Transforms;

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

/// <summary>The example's CNN (examples/FashionMnistRotation): Conv-BN-ReLU-Pool ×2, Linear → 10 classes.</summary>
internal static class BenchCnn
{
    public static nn.Module<Tensor, Tensor> Create()
    {
        manual_seed(1);
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding: 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10));
    }

    public static TransformSpec[] FourInvariances() => new[]
    {
        TransformSpec.Invariance(new RotationByQuarterTurns()), TransformSpec.Invariance(Flip.Horizontal()),
        TransformSpec.Invariance(Flip.Vertical()), TransformSpec.Invariance(new DihedralTransform()),
    };
}

/// <summary>
/// A regularized training step (cross-entropy on a batch of 64 + EquivarianceError with n = 64 sampled points)
/// against its compute lower bound: the same plain step plus one bare forward and backward of the rows the
/// regularizer adds, (1 + numFuncs)·64, in the kernel's chunks, with norm layers guarded as in the regularizer pass. Ratio = regularized / lower bound.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
public class RegularizedStepBenchmarks : IDisposable
{
    private nn.Module<Tensor, Tensor> _model = null!;
    private optim.Optimizer _optimizer = null!;
    private EquivarianceError _reg = null!;
    private Tensor _x = null!, _y = null!, _extra = null!;

    [Params(1, 4)]
    public int NumFuncs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _model = BenchCnn.Create();
        _optimizer = optim.SGD(_model.parameters(), learningRate: 0.01);
        _reg = new EquivarianceError(_model, new long[] { 1, 28, 28 }, BenchCnn.FourInvariances(), dist: "cross_entropy_logits",
            n: 64, numFuncs: NumFuncs, options: new EquivarianceErrorOptions { Seed = 7 });
        using var g = new Generator(3);
        _x = rand(new long[] { 64, 1, 28, 28 }, generator: g).DetachFromDisposeScope();
        _y = randint(0, 10, new long[] { 64 }, generator: g).DetachFromDisposeScope();
        _extra = rand(new long[] { 64 * (1 + NumFuncs), 1, 28, 28 }, generator: g).DetachFromDisposeScope();
        // The kernel's chunking of the concatenated batch (KernelOptions.Default), so the bare calls have the same sizes.
        // Whole 64-row parts per call when one fits the budget, as the kernel does.
        var o = KernelOptions.Default;
        long maxRows = Math.Max(1, (long)(o.MemoryBudgetBytes / (28 * 28 * 4 * o.ActivationBytesPerInputByte)));
        _rowsPerForward = maxRows >= 64 ? 64 * Math.Min(1 + NumFuncs, maxRows / 64) : maxRows;
    }

    private long _rowsPerForward;

    [Benchmark(Description = "plain step (batch 64)")]
    public double PlainStep()
    {
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(_model.call(_x), _y);
        loss.backward();
        _optimizer.step();
        return loss.ToDouble();
    }

    [Benchmark(Baseline = true, Description = "lower bound: plain + bare fwd/bwd of (1+k)·64 rows")]
    public double LowerBoundStep()
    {
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(_model.call(_x), _y);
        Tensor extra;
        using (new NormStatisticsGuard(_model, NormLayerMode.BatchStatistics))
            extra = cat(_extra.split(_rowsPerForward).Select(_model.call).ToArray()).mean();
        (loss + extra).backward();
        _optimizer.step();
        return loss.ToDouble();
    }

    [Benchmark(Description = "regularized step (n = 64)")]
    public double RegularizedStep()
    {
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(_model.call(_x), _y) + _reg.call();
        loss.backward();
        _optimizer.step();
        return loss.ToDouble();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _x?.Dispose(); _y?.Dispose(); _extra?.Dispose();
        _reg?.Dispose(); _optimizer?.Dispose(); _model?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// Kernel evaluation of four transforms on 64 points (no_grad): one batched evaluation of 5·64 rows (in the kernel's default chunks), against
/// calling the model once per transform (model(v) once + four calls), and against the reference package's loop
/// (model(v) recomputed for every transform: eight calls). Baseline = the per-transform loop.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
public class KernelBatchingBenchmarks : IDisposable
{
    private nn.Module<Tensor, Tensor> _model = null!;
    private TransformPair[] _pairs = null!;
    private Tensor _x = null!;
    private Generator _g = null!;
    private static readonly KernelOptions Unbatched = KernelOptions.Default with { Batched = false };

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _model = BenchCnn.Create();
        _pairs = BenchCnn.FourInvariances().Select(t => t.Pair).ToArray();
        _g = new Generator(5);
        _x = rand(new long[] { 64, 1, 28, 28 }, generator: _g).DetachFromDisposeScope();
    }

    [Benchmark(Description = "batched: 5·64 rows in the kernel's chunks")]
    public double Batched()
    {
        using var scope = NewDisposeScope();
        using var nograd = no_grad();
        using var r = EquivarianceKernel.Evaluate(_model, _x, _pairs, Distance.CrossEntropyLogits, _g);
        return r.Distances.Sum(d => d.mean().ToDouble());
    }

    [Benchmark(Baseline = true, Description = "per-transform loop: model(v) once + 4 calls")]
    public double PerTransform()
    {
        using var scope = NewDisposeScope();
        using var nograd = no_grad();
        using var r = EquivarianceKernel.Evaluate(_model, _x, _pairs, Distance.CrossEntropyLogits, _g, options: Unbatched);
        return r.Distances.Sum(d => d.mean().ToDouble());
    }

    [Benchmark(Description = "reference loop: model(v) and model(f_in v) per transform (8 calls)")]
    public double ReferenceLoop()
    {
        using var scope = NewDisposeScope();
        using var nograd = no_grad();
        double total = 0;
        foreach (var pair in _pairs)
        {
            using var r = EquivarianceKernel.Evaluate(_model, _x, new[] { pair }, Distance.CrossEntropyLogits, _g, options: Unbatched);
            total += r.Distances[0].mean().ToDouble();
        }
        return total;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _x?.Dispose(); _g?.Dispose(); _model?.Dispose();
        GC.SuppressFinalize(this);
    }
}
