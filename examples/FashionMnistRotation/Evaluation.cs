using EquivarianceRegularizer;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Kernels;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>A trained model on the test set: upright and rotated accuracy, prediction agreement under quarter turns, equivariance error.</summary>
internal sealed record Evaluation(double UprightAccuracy, double[] RotatedAccuracy, double PredictionAgreement, double Error, double ErrorStandardError)
{
    public static Evaluation Run(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, Settings s)
    {
        model.eval();
        using var nograd = no_grad();
        var rot = new RotationByQuarterTurns();
        long n = x.size(0);
        long correct = 0, kept = 0;
        var rotatedCorrect = new long[3];
        var errors = new List<double>();
        const int chunk = 500;
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            long len = Math.Min(chunk, n - start);
            var xb = x.narrow(0, start, len);
            var yb = y.narrow(0, start, len);
            // The shared kernel with the three non-identity quarter turns given as elements: one batched forward.
            var pairs = Enumerable.Range(0, 3).Select(_ => Symmetry.Invariant(rot)).ToArray();
            var elements = Enumerable.Range(1, 3).Select(k => rot.Group.Element(k, len)).ToArray();
            using var result = EquivarianceKernel.Evaluate(model, xb, pairs, Distance.CrossEntropyLogits, inputElements: elements);
            var upright = result.ModelOutput.argmax(1);
            correct += upright.eq(yb).sum().item<long>();
            for (int k = 0; k < 3; k++)
            {
                errors.AddRange(result.Distances[k].to_type(ScalarType.Float64).data<double>().ToArray());
                var predicted = result.TransformedOutputs[k].argmax(1);
                rotatedCorrect[k] += predicted.eq(yb).sum().item<long>();
                kept += predicted.eq(upright).sum().item<long>();
            }
            foreach (var e in elements) e.Dispose();
        }
        double mean = errors.Average();
        double sd = Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (errors.Count - 1));
        return new Evaluation((double)correct / n, rotatedCorrect.Select(c => (double)c / n).ToArray(), (double)kept / (3 * n), mean, sd / Math.Sqrt(errors.Count));
    }
}
