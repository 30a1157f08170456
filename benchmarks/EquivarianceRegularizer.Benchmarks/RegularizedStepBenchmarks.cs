using EquivarianceRegularizer.Distances;
using BenchmarkDotNet.Attributes;
using EquivarianceRegularizer.Evaluation;

namespace EquivarianceRegularizer.Benchmarks;

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
        _reg = new EquivarianceError(_model, new long[] { 1, 28, 28 }, BenchCnn.FourInvariances(), dist: Distance.CrossEntropyLogits,
            n: 64, numFuncs: NumFuncs, options: new EquivarianceErrorOptions { Seed = 7 });
        using var g = new Generator(3);
        _x = rand(new long[] { 64, 1, 28, 28 }, generator: g).DetachFromDisposeScope();
        _y = randint(0, 10, new long[] { 64 }, generator: g).DetachFromDisposeScope();
        _extra = rand(new long[] { 64 * (1 + NumFuncs), 1, 28, 28 }, generator: g).DetachFromDisposeScope();
        // The kernel's chunking of the concatenated batch (EvaluationOptions.Default), so the bare calls have the same sizes.
        // Whole 64-row parts per call when one fits the budget, as the kernel does.
        var o = EvaluationOptions.Default;
        long maxRows = o.MemoryBudgetBytes is { } budget ? Math.Max(1, (long)(budget / (28 * 28 * 4 * o.ActivationBytesPerInputByte))) : 64;
        _rowsPerForward = maxRows >= 64 ? 64 * Math.Min(1 + NumFuncs, maxRows / 64) : maxRows;
    }

    private long _rowsPerForward;

    [Benchmark(Description = "plain step (batch 64)")]
    public double PlainStep() => OptimizerStep.Run(_optimizer, () => nn.functional.cross_entropy(_model.call(_x), _y));

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
