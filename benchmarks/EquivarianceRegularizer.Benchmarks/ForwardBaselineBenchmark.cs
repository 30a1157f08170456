using BenchmarkDotNet.Attributes;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// What the benchmarks whose ratios read "× one forward" share: the model, a batch and a direction, the baseline (one
/// inference forward pass of the batch) and the cleanup. Subclasses fill <see cref="Model"/>, <see cref="X"/> and
/// <see cref="V"/> in their setup.
/// </summary>
public abstract class ForwardBaselineBenchmark
{
    /// <summary>The model under test (eval mode).</summary>
    internal nn.Module<Tensor, Tensor> Model { get; set; } = null!;

    /// <summary>The batch.</summary>
    internal Tensor X { get; set; } = null!;

    /// <summary>The direction (input tangent) of the jvp or Lie derivative.</summary>
    internal Tensor V { get; set; } = null!;

    /// <summary>Images per batch.</summary>
    [Params(64)]
    public int Batch { get; set; }

    /// <summary>One inference forward pass of the batch.</summary>
    [Benchmark(Baseline = true)]
    public double Forward()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return Model.call(X).sum().ToDouble();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Model.Dispose();
        X.Dispose();
        V.Dispose();
    }
}
