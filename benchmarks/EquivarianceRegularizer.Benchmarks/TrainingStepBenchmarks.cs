using BenchmarkDotNet.Attributes;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// A user's regularized training step on the training batch (batch 64): cross-entropy + the regularizer given the
/// logits the loss computed (<c>reg.call(x, logits)</c>), against the same penalty written by hand (same four invariance
/// terms — quarter turns and a flip —, the same cross-entropy-logits distance, λ·max(0, error − ε), one forward per
/// transformed copy), on the example's CNN (1×28×28) and TorchVision's resnet18(num_classes: 10) at 3×32×32, both in
/// training mode (BatchNorm on batch statistics). Also timed: the regularizer running its own forward of the batch
/// (<c>reg.call(x)</c>) and a plain step. Baseline = the hand-written step.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
public class TrainingStepBenchmarks : IDisposable
{
    private static readonly Func<Tensor, Tensor>[] Actions =
    [
        x => x.rot90(1, (-2, -1)), x => x.rot90(2, (-2, -1)), x => x.rot90(3, (-2, -1)), x => x.flip(-1),
    ];

    private nn.Module<Tensor, Tensor> _model = null!;
    private optim.Optimizer _optimizer = null!;
    private EquivarianceError _reg = null!;
    private Tensor _x = null!, _y = null!;
    private Random _choice = null!;

    /// <summary>"cnn" (the example's, 1×28×28) or "resnet18" (TorchVision's, 3×32×32).</summary>
    [Params("cnn", "resnet18")]
    public string Model { get; set; } = "cnn";

    /// <summary>Terms per step.</summary>
    [Params(1, 4)]
    public int NumFuncs { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        long[] shape = Model == "cnn" ? [1, 28, 28] : [3, 32, 32];
        _model = Model == "cnn" ? BenchCnn.Create() : CreateResnet18();
        _model.train();
        _optimizer = optim.SGD(_model.parameters(), learningRate: 0.01);
        var terms = Actions.Select((f, k) => (EquivarianceTerm)((Func<Tensor, Tensor>)(y => y), f, 0.0, 1.0)).ToArray();
        _reg = new EquivarianceError(_model, shape, terms, dist: Distance.CrossEntropyLogits, numFuncs: NumFuncs, options: new EquivarianceErrorOptions { Seed = 7 });
        using var g = new Generator(3);
        _x = rand(new long[] { 64 }.Concat(shape).ToArray(), generator: g).DetachFromDisposeScope();
        _y = randint(0, 10, new long[] { 64 }, generator: g).DetachFromDisposeScope();
        _choice = new Random(7);
    }

    private static nn.Module<Tensor, Tensor> CreateResnet18()
    {
        manual_seed(1);
        return torchvision.models.resnet18(num_classes: 10);
    }

    [Benchmark(Description = "plain step")]
    public double PlainStep() => OptimizerStep.Run(_optimizer, () => nn.functional.cross_entropy(_model.call(_x), _y));

    [Benchmark(Baseline = true, Description = "hand-written penalty")]
    public double HandWrittenStep() => OptimizerStep.Run(_optimizer, () =>
    {
        var logits = _model.call(_x);
        var loss = nn.functional.cross_entropy(logits, _y);
        var chosen = NumFuncs >= Actions.Length ? Enumerable.Range(0, Actions.Length) : Enumerable.Range(0, Actions.Length).OrderBy(_ => _choice.Next()).Take(NumFuncs);
        var target = logits.log_softmax(-1);
        foreach (int k in chosen)
        {
            var moved = _model.call(Actions[k](_x)).log_softmax(-1);
            loss = loss + linalg.vector_norm(target - moved, 2, new long[] { 1 }).mean().clamp_min(0);
        }
        return loss;
    });

    [Benchmark(Description = "library, shared output: reg.call(x, logits)")]
    public double SharedOutputStep() => OptimizerStep.Run(_optimizer, () =>
    {
        var logits = _model.call(_x);
        return nn.functional.cross_entropy(logits, _y) + _reg.call(_x, logits);
    });

    [Benchmark(Description = "library, own forward: reg.call(x)")]
    public double OwnForwardStep() => OptimizerStep.Run(_optimizer, () => nn.functional.cross_entropy(_model.call(_x), _y) + _reg.call(_x));

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _reg?.Dispose();
        _optimizer?.Dispose();
        _model?.Dispose();
        _x?.Dispose();
        _y?.Dispose();
        GC.SuppressFinalize(this);
    }
}
