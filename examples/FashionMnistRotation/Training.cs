using System.Diagnostics;
using EquivarianceRegularizer;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Recipes;
using EquivarianceRegularizer.Transforms;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionMnistRotation;

/// <summary>
/// What one run trains on: labelled images, optionally unlabelled ones (the few-labels setting, where only the
/// regularizer can use them), and the number of optimizer steps (the budget, equal for every variant).
/// </summary>
internal sealed record TrainingData(Tensor Images, Tensor Labels, Tensor? Unlabelled, int Steps);

/// <summary>The training loop every variant shares; what differs is the model, the batch and the loss.</summary>
internal static class Training
{
    /// <summary>The model a variant trains: the example's CNN, or that CNN averaged over the four quarter turns.</summary>
    public static nn.Module<Tensor, Tensor> CreateModel(Variant v, int seed)
    {
        var cnn = SmallCnn.Create(seed);
        return v.Kind == VariantKind.GroupAveraged ? GroupAveraged.Invariant(cnn, Transform.RotationByQuarterTurns()) : cnn;
    }

    /// <summary>The regularizer's distance named on the command line.</summary>
    public static Distance DistanceFor(Settings s) => s.Distance switch
    {
        "js" => Distance.JensenShannon(),
        "ce" => Distance.CrossEntropyLogits,
        _ => Distance.KLDivergence(),
    };

    /// <summary>Trains <paramref name="model"/> as <paramref name="v"/> says; returns the training time in seconds and, for a constrained term, its final λ.</summary>
    public static (double seconds, double? finalLambda) Run(nn.Module<Tensor, Tensor> model, Variant v, TrainingData data, Settings s, int seed)
    {
        var rot = Transform.RotationByQuarterTurns();
        using var optimizer = optim.Adam(model.parameters(), lr: s.LearningRate);
        using var criterion = nn.CrossEntropyLoss();
        using var augment = new GroupAugmentation(rot, seed: (ulong)seed + 3);
        var term = v.Kind == VariantKind.Constrained
            ? EquivarianceTerm.Constrained(Symmetry.Invariant(rot), v.Epsilon, s.DualStep)
            : EquivarianceTerm.Invariant(rot, epsilon: 0, lambda: v.Lambda);
        using var reg = new EquivarianceError(model, new long[] { 1, 28, 28 }, new[] { term }, dist: DistanceFor(s), n: s.BatchSize,
            options: new EquivarianceErrorOptions { Seed = (ulong)seed + 1 });
        using var labelled = new BatchCycle(data.Images.size(0), s.BatchSize, (ulong)seed + 2);
        using var unlabelled = data.Unlabelled is { } u ? new BatchCycle(u.size(0), s.BatchSize, (ulong)seed + 4) : null;
        bool fewLabels = unlabelled is not null;

        model.train();
        int reports = Math.Min(s.Epochs, data.Steps);
        int perReport = (data.Steps + reports - 1) / reports;
        double lossSum = 0, regSum = 0;
        int count = 0;
        var clock = Stopwatch.StartNew();
        var lap = Stopwatch.StartNew();
        for (int step = 1; step <= data.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var idx = labelled.Next();
            var x = data.Images.index_select(0, idx);
            var y = data.Labels.index_select(0, idx);
            if (v.Augments) x = augment.call(x);
            optimizer.zero_grad();
            Tensor loss;
            if (!v.Regularizes)
            {
                loss = criterion.call(model.call(x), y);
            }
            else if (fewLabels)
            {
                // Labelled and unlabelled images in one forward; the regularizer sees the unlabelled ones (it needs no labels).
                var xu = data.Unlabelled!.index_select(0, unlabelled!.Next());
                var logits = model.call(cat(new[] { x, xu }));
                var penalty = reg.call(xu, logits.narrow(0, x.size(0), xu.size(0)));
                regSum += penalty.ToDouble();
                loss = criterion.call(logits.narrow(0, 0, x.size(0)), y) + penalty;
            }
            else
            {
                var logits = model.call(x);
                // The shared forward: the regularizer reuses the logits and runs only the turned copies.
                var penalty = reg.call(x, logits);
                regSum += penalty.ToDouble();
                loss = criterion.call(logits, y) + penalty;
            }
            lossSum += loss.ToDouble();
            loss.backward();
            optimizer.step();
            count++;
            if (step % perReport == 0 || step == data.Steps)
            {
                string regText = v.Regularizes ? $", penalty {regSum / count:F3}" : string.Empty;
                string lambdaText = term.IsConstrained ? $", λ {term.Lambda:F3}" : string.Empty;
                AnsiConsole.MarkupLine(Markup.Escape($"  {v.Label} seed {seed}: steps {step - count + 1}–{step}/{data.Steps} loss {lossSum / count:F3}{regText}{lambdaText} ({lap.Elapsed.TotalSeconds:F0} s)"));
                lossSum = regSum = 0;
                count = 0;
                lap.Restart();
            }
        }
        return (clock.Elapsed.TotalSeconds, term.IsConstrained ? term.Lambda : null);
    }
}

/// <summary>Endless shuffled passes over n items, <c>batch</c> at a time (the last incomplete batch of a pass is dropped).</summary>
internal sealed class BatchCycle(long n, int batch, ulong seed) : IDisposable
{
    private readonly Generator _generator = new(seed);
    private readonly long _batch = Math.Min(batch, n);
    private Tensor? _order;
    private long _position;

    public Tensor Next()
    {
        if (_order is null || _position + _batch > n)
        {
            _order?.Dispose();
            _order = randperm(n, generator: _generator).DetachFromDisposeScope();
            _position = 0;
        }
        var idx = _order.narrow(0, _position, _batch);
        _position += _batch;
        return idx;
    }

    public void Dispose()
    {
        _order?.Dispose();
        _generator.Dispose();
    }
}
