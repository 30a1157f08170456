using EquivarianceRegularizer.Recipes;
using EquivarianceRegularizer.Transforms;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionMnistRotation;

/// <summary>
/// The example's comparison: every variant of the settings trained on the same images for the same number of steps,
/// once per seed, measured on the test images, and folded into one row per variant (means over the seeds).
/// </summary>
internal sealed class Comparison(Settings settings, Tensor testX, Tensor testY)
{
    /// <summary>The variant kinds of the few-labels comparison when none are named.</summary>
    public static readonly IReadOnlyList<VariantKind> FewLabelKinds = new[]
    {
        VariantKind.Plain, VariantKind.Augmentation, VariantKind.GroupAveraged, VariantKind.Regularizer, VariantKind.AugmentationAndRegularizer,
    };

    /// <summary>The label of the augmented model averaged over the four turns at test time.</summary>
    public const string AveragedAtTest = "augmentation, averaged at test";

    /// <summary>Optimizer steps of one run: <see cref="Settings.Epochs"/> passes over <paramref name="images"/> batches.</summary>
    public int Steps(long images) => settings.Epochs * (int)Math.Max(1, images / settings.BatchSize);

    /// <summary>All training images labelled: one row per variant (and one for augmentation averaged at test).</summary>
    public IReadOnlyList<Row> AllLabels(Tensor trainX, Tensor trainY)
    {
        int steps = Steps(trainX.size(0));
        var results = new List<Result>();
        foreach (int seed in settings.Seeds)
            foreach (var v in VariantNames.Expand(settings.Variants ?? Enum.GetValues<VariantKind>(), settings))
                results.AddRange(TrainAndEvaluate(v, new TrainingData(trainX, trainY, null, steps), seed));
        return Row.Fold(results, "plain");
    }

    /// <summary>
    /// <paramref name="labels"/> labelled images (balanced over the classes, drawn with each seed), the other training
    /// images unlabelled: the regularizer variants also train on those; every variant takes the steps of all labels.
    /// </summary>
    public IReadOnlyList<Row> FewLabels(Tensor trainX, Tensor trainY, int labels)
    {
        int steps = Steps(trainX.size(0));
        var results = new List<Result>();
        foreach (int seed in settings.Seeds)
        {
            var (images, targets, unlabelled) = SplitLabels(trainX, trainY, labels, seed);
            AnsiConsole.MarkupLine($"{labels} labelled images ({labels / 10} per class, drawn with seed {seed}), {unlabelled.size(0)} unlabelled; {steps} steps for every variant");
            foreach (var v in VariantNames.Expand(settings.Variants ?? FewLabelKinds, settings))
                results.AddRange(TrainAndEvaluate(v, new TrainingData(images, targets, v.Regularizes ? unlabelled : null, steps), seed));
            images.Dispose(); targets.Dispose(); unlabelled.Dispose();
        }
        return Row.Fold(results, "plain");
    }

    private List<Result> TrainAndEvaluate(Variant v, TrainingData data, int seed)
    {
        var model = Training.CreateModel(v, seed);
        var (seconds, finalLambda) = Training.Run(model, v, data, settings, seed);
        var eval = Evaluation.Run(model, testX, testY);
        Log(v.Label, seed, eval, seconds);
        var results = new List<Result> { new(v.Label, seed, eval, seconds, finalLambda) };
        if (v.Kind == VariantKind.Augmentation)
        {
            // The augmented model averaged over the four turns at test time only: no extra training, 4× inference.
            using var averaged = GroupAveraged.Invariant(model, Transform.RotationByQuarterTurns());
            var tta = Evaluation.Run(averaged, testX, testY);
            Log(AveragedAtTest, seed, tta, seconds);
            results.Add(new Result(AveragedAtTest, seed, tta, seconds, null));
        }
        else
        {
            model.Dispose();
        }
        return results;
    }

    private static void Log(string label, int seed, Evaluation e, double seconds) =>
        AnsiConsole.MarkupLine(Markup.Escape($"{label}, seed {seed}: upright {Report.Pct(e.UprightAccuracy)}, rotated {string.Join(" / ", e.RotatedAccuracy.Select(Report.Pct))}, " +
            $"kept {Report.Pct(e.PredictionKept)}, error {e.Error:F3}, trained in {seconds:F0} s, test pass {e.InferenceSeconds:F2} s"));

    // A balanced labelled subset (labels / 10 images of each class, drawn with the seed); every other image is unlabelled.
    private static (Tensor images, Tensor labels, Tensor unlabelled) SplitLabels(Tensor x, Tensor y, int labels, int seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed + 5);
        var order = randperm(x.size(0), generator: g);
        var shuffled = y.index_select(0, order);
        var chosen = new List<Tensor>();
        for (int c = 0; c < 10; c++)
        {
            var ofClass = order.index_select(0, shuffled.eq(c).nonzero().squeeze(1));
            if (ofClass.size(0) < labels / 10)
                throw new ArgumentException($"--labels {labels} needs {labels / 10} images of each class, but the training images hold {ofClass.size(0)} of class {c}; raise --train-limit.");
            chosen.Add(ofClass.narrow(0, 0, labels / 10));
        }
        var labelled = cat(chosen);
        var mask = ones(x.size(0), ScalarType.Bool);
        mask.index_put_(tensor(false), labelled);
        var rest = mask.nonzero().squeeze(1);
        return (x.index_select(0, labelled).MoveToOuterDisposeScope(), y.index_select(0, labelled).MoveToOuterDisposeScope(),
            x.index_select(0, rest).MoveToOuterDisposeScope());
    }
}
