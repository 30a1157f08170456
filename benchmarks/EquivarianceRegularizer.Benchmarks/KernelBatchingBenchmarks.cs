using BenchmarkDotNet.Attributes;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// Kernel evaluation of four transforms on 64 points (no_grad): one batched evaluation of 5·64 rows (in the kernel's default chunks), against
/// calling the model once per transform (model(v) once + four calls), and against the reference package's loop
/// (model(v) recomputed for every transform: eight calls). Baseline = the per-transform loop.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
public class KernelBatchingBenchmarks : IDisposable
{
    private nn.Module<Tensor, Tensor> _model = null!;
    private Symmetry[] _pairs = null!;
    private Tensor _x = null!;
    private Generator _g = null!;
    private static readonly EvaluationOptions Unbatched = EvaluationOptions.Default with { Batched = false };

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _model = BenchCnn.Create();
        _pairs = BenchCnn.FourInvariances().Select(t => t.Symmetry).ToArray();
        _g = new Generator(5);
        _x = rand(new long[] { 64, 1, 28, 28 }, generator: _g).DetachFromDisposeScope();
    }

    [Benchmark(Description = "batched: 5·64 rows in the kernel's chunks")]
    public double Batched()
    {
        using var scope = NewDisposeScope();
        using var nograd = no_grad();
        using var r = EquivarianceEvaluator.Evaluate(_model, _x, _pairs, Distance.CrossEntropyLogits, _g);
        return r.Distances.Sum(d => d.mean().ToDouble());
    }

    [Benchmark(Baseline = true, Description = "per-transform loop: model(v) once + 4 calls")]
    public double PerTransform()
    {
        using var scope = NewDisposeScope();
        using var nograd = no_grad();
        using var r = EquivarianceEvaluator.Evaluate(_model, _x, _pairs, Distance.CrossEntropyLogits, _g, options: Unbatched);
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
            using var r = EquivarianceEvaluator.Evaluate(_model, _x, new[] { pair }, Distance.CrossEntropyLogits, _g, options: Unbatched);
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
