using System.Diagnostics;
using EquivarianceRegularizer.Lie;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

/// <summary>
/// Interleaved timing of forward / end-to-end LEE / double-backward Lie derivative on the benchmark's CNN, robust to
/// the slowly varying load of a shared machine (BenchmarkDotNet runs methods one after another). Complements
/// benchmarks/EquivarianceRegularizer.Benchmarks/LieDerivativeBenchmarks.cs. Run with
/// <c>dotnet test tests/EquivarianceRegularizer.Tests -c Release --filter FullyQualifiedName~LieSpeedCheck</c>.
/// </summary>
[Explicit("Timing; run on demand.")]
[Category("Study")]
public class LieSpeedCheck
{
    [Test]
    public void InterleavedMedians_OfForward_Lee_AndDoubleBackward()
    {
        set_num_threads(1);
        using var g = new Generator(1);
        using var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 16, 3, padding: 1).Seeded(g)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(16, 32, 3, padding: 1).Seeded(g)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("conv3", nn.Conv2d(32, 32, 3, padding: 1).Seeded(g)), ("relu3", nn.ReLU()),
            ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(32, 10).Seeded(g)));
        model.eval();
        using var x = rand(new long[] { 64, 1, 28, 28 }, generator: g);
        var t = new TranslationX();
        var options = new LieOptions { BatchSize = 64 };
        var actions = new (string name, Action run)[]
        {
            ("forward", () => { using var s = NewDisposeScope(); using var _ = no_grad(); model.call(x).sum().ToDouble(); }),
            ("lee (forward mode)", () => LocalEquivarianceError.Measure(model.call, x, t, options)),
            ("double backward", () => { using var s = NewDisposeScope(); LieDerivative.ByDoubleBackward(model.call, x, t).square().mean().ToDouble(); }),
        };
        var times = actions.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < 60; round++)
            for (int i = 0; i < actions.Length; i++)
            {
                var sw = Stopwatch.StartNew();
                actions[i].run();
                if (round >= 5) times[i].Add(sw.Elapsed.TotalMilliseconds);
            }
        double Median(List<double> v) { var s = v.OrderBy(a => a).ToArray(); return s[s.Length / 2]; }
        var medians = times.Select(Median).ToArray();
        var text = string.Join(Environment.NewLine, actions.Select((a, i) => FormattableString.Invariant(
            $"{a.name,-20} median {medians[i],8:F2} ms   ×forward {medians[i] / medians[0],5:F2}")));
        text += Environment.NewLine + FormattableString.Invariant($"double backward / lee = {medians[2] / medians[1]:F2}");
        TestContext.Out.WriteLine(text);
        Console.WriteLine(text);
        Assert.That(medians.All(m => m > 0), Is.True);
    }
}
