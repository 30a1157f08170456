using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using EquivarianceRegularizer.NUnit;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Readme;

/// <summary>The README's "Using it" snippets, compiled and run, so the README cannot drift from the API.</summary>
public class ReadmeExampleTests
{
    [Test]
    public void TrainingLoopSnippet_RunsAndLowersTheRegularizedLoss()
    {
        using var g = new Generator(1);
        torch.manual_seed(1);
        using var model = nn.Sequential(nn.Conv2d(1, 16, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        using var reg = new EquivarianceError(model, new long[] { 1, 28, 28 },
            new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns(), epsilon: 0, lambda: 0.5) },
            dist: Distance.CrossEntropyLogits, n: 64, options: new EquivarianceErrorOptions { Seed = 3 });

        using var data = NewDisposeScope();
        var x = rand(new long[] { 16, 1, 28, 28 }, generator: g);
        var y = randint(0, 10, new long[] { 16 }, generator: g);
        double first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            using var _ = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y) + reg.call(x);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.ToDouble();
            last = loss.ToDouble();
        }
        Assert.That(last, Is.LessThan(first));
    }

    [Test]
    public void AuditSnippet_OfAnInvariantModel_Passes()
    {
        // Global average pooling after a pointwise (1×1) convolution is exactly rot90-invariant.
        using var model = nn.Sequential(nn.Conv2d(1, 8, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10));
        var report = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 28, 28 }, Samples = 16 });
        Assert.That(ReportText.Render(report), Does.Contain("OVERALL VERDICT: PASS"));
        Assert.DoesNotThrow(() => EquivarianceAssert.IsInvariant(model, new RotationByQuarterTurns(), new long[] { 1, 28, 28 }));
    }
}
