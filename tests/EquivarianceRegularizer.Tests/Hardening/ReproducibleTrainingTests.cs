using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>
/// torch.manual_seed alone makes a regularized training run reproducible: the regularizer draws from TorchSharp's
/// default generator unless it is given a seed or a generator.
/// </summary>
public class ReproducibleTrainingTests
{
    private static (float[] Losses, string Verdict) Train(ulong seed)
    {
        torch.manual_seed((long)seed);
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("relu", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(4, 3)));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var reg = new EquivarianceError(model, new long[] { 1, 8, 8 },
            new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, dist: Distance.CrossEntropyLogits, n: 8);
        var losses = new List<float>();
        for (int step = 0; step < 10; step++)
        {
            using var scope = NewDisposeScope();
            var x = rand(16, 1, 8, 8);
            var y = randint(0, 3, new long[] { 16 });
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y) + reg.call(); // reg.call() samples its own points
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        var report = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 8, 8 }, Samples = 4 });
        return (losses.ToArray(), report.Verdict.ToString());
    }

    [Test]
    public void SameManualSeed_GivesBitwiseIdenticalLossesAndTheSameVerdict()
    {
        var a = Train(7);
        var b = Train(7);
        Assert.That(b.Losses.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(a.Losses.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(b.Verdict, Is.EqualTo(a.Verdict));
    }

    [Test]
    public void AnotherManualSeed_GivesOtherLosses()
    {
        Assert.That(Train(8).Losses, Is.Not.EqualTo(Train(7).Losses), "the seed reaches the regularizer's draws and the model");
    }
}
