using System.Diagnostics;
using EquivarianceRegularizer;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionMnistRotation;

/// <summary>
/// A trained model on the test set: accuracy upright and under each quarter turn, the share of images whose predicted
/// class is the same under all four turns, the equivariance error, and the time of one upright pass (inference cost).
/// </summary>
internal sealed record Evaluation(double UprightAccuracy, double[] RotatedAccuracy, double PredictionKept, double Error, double InferenceSeconds)
{
    public double MeanRotatedAccuracy => RotatedAccuracy.Average();

    public static Evaluation Run(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        model.eval();
        using var nograd = no_grad();
        var rot = Transform.RotationByQuarterTurns();
        long n = x.size(0);
        long correct = 0, kept = 0;
        var rotatedCorrect = new long[3];
        double errorSum = 0;
        const int chunk = 250;
        // Inference cost: the faster of two upright passes over (at most) the first 2,000 test images (the machine may be shared).
        double inference = double.PositiveInfinity;
        long timed = Math.Min(n, 2000);
        for (int pass = 0; pass < 2; pass++)
        {
            var clock = Stopwatch.StartNew();
            for (long start = 0; start < timed; start += chunk)
            {
                using var scope = NewDisposeScope();
                model.call(x.narrow(0, start, Math.Min(chunk, timed - start)));
            }
            inference = Math.Min(inference, clock.Elapsed.TotalSeconds);
        }
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            long len = Math.Min(chunk, n - start);
            var xb = x.narrow(0, start, len);
            var yb = y.narrow(0, start, len);
            // The library's evaluation with the three non-identity quarter turns given as elements: one batched forward.
            var pairs = Enumerable.Range(0, 3).Select(_ => Symmetry.Invariant(rot)).ToArray();
            var elements = Enumerable.Range(1, 3).Select(k => rot.Group.Element(k, len)).ToArray();
            using var result = EquivarianceEvaluator.Evaluate(model, xb, pairs, Distance.CrossEntropyLogits, inputElements: elements);
            var upright = result.ModelOutput.argmax(1);
            correct += upright.eq(yb).sum().item<long>();
            var same = ones_like(upright, ScalarType.Bool);
            for (int k = 0; k < 3; k++)
            {
                errorSum += result.Distances[k].to_type(ScalarType.Float64).sum().item<double>();
                var predicted = result.TransformedOutputs[k].argmax(1);
                rotatedCorrect[k] += predicted.eq(yb).sum().item<long>();
                same = same.logical_and(predicted.eq(upright));
            }
            kept += same.sum().item<long>();
            foreach (var e in elements) e.Dispose();
        }
        return new Evaluation((double)correct / n, rotatedCorrect.Select(c => (double)c / n).ToArray(), (double)kept / n, errorSum / (3 * n), inference);
    }
}
