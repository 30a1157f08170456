using EquivarianceRegularizer.Distances;
using System.Text.RegularExpressions;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using EquivarianceRegularizer.Sampling;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>On CPU the same seed gives bitwise-identical regularizer values, training losses and audit JSON.</summary>
public class DeterminismTests
{
    private static readonly long[] Image = { 1, 6, 6 };

    internal static long[] Bits(IEnumerable<double> values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();

    /// <summary>The audit JSON without the wall-clock field (the only value that may differ between runs).</summary>
    internal static string WithoutTiming(string json) => Regex.Replace(json, "\"seconds\": [^,\\n]+", "\"seconds\": 0");

    private static double[] RegularizerValues(IPointSampler sampler, ulong seed)
    {
        using var model = Cnns.NamedCnn(5);
        using var reg = new EquivarianceError(model, Image,
            new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()), EquivarianceTerm.Invariant(Flip.Horizontal(), 0, 0.5) },
            dist: Distance.CrossEntropyLogits, n: 16, numFuncs: 1, options: new EquivarianceErrorOptions { Seed = seed, Sampler = sampler });
        var values = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            using var estimate = reg.Estimate();
            values.Add(estimate.Penalty.ToDouble());
            values.AddRange(estimate.Terms.Select(t => t.Error));
        }
        return values.ToArray();
    }

    [Test]
    public void Regularizer_SameSeed_GivesBitwiseIdenticalValues_MonteCarloAndSobol()
    {
        foreach (IPointSampler sampler in new IPointSampler[] { MonteCarloSampler.Instance, ScrambledSobolSampler.Instance })
        {
            var a = RegularizerValues(sampler, 42);
            var b = RegularizerValues(sampler, 42);
            var c = RegularizerValues(sampler, 43);
            Assert.That(Bits(b), Is.EqualTo(Bits(a)), $"{sampler.Name}: same seed");
            Assert.That(Bits(c), Is.Not.EqualTo(Bits(a)), $"{sampler.Name}: a different seed draws differently");
        }
    }

    /// <summary>100 steps of cross-entropy + regularizer with Adam, model and data from fixed generators.</summary>
    internal static double[] TrainingLosses(ulong seed, int steps = 100)
    {
        using var model = Cnns.NamedCnn(seed);
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var criterion = nn.CrossEntropyLoss();
        using var reg = new EquivarianceError(model, Image, new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns(), 0, 0.5) },
            dist: Distance.CrossEntropyLogits, n: 4, options: new EquivarianceErrorOptions { Seed = seed });
        using var data = new Generator(seed + 100);
        using var x = rand(new long[] { 8, 1, 6, 6 }, generator: data);
        using var y = randint(0, 3, new long[] { 8 }, generator: data);
        var losses = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = criterion.call(model.call(x), y) + reg.call();
            loss.backward();
            optimizer.step();
            losses[i] = loss.ToDouble();
        }
        return losses;
    }

    [Test]
    public void Training_SameSeed_GivesBitwiseIdenticalLossesOver100Steps()
    {
        var a = TrainingLosses(7);
        var b = TrainingLosses(7);
        Assert.That(Bits(b), Is.EqualTo(Bits(a)));
        Assert.That(a[^1], Is.LessThan(a[0]), "the loop trains");
        Assert.That(Bits(TrainingLosses(8, steps: 3)), Is.Not.EqualTo(Bits(a.Take(3))));
    }

    internal static string AuditJson(nn.Module<Tensor, Tensor> model, ulong seed, IGroupTransform transform) =>
        JsonReport.Render(Auditor.Audit(model, Symmetry.Invariant(transform),
            new AuditOptions { InputShape = Image, Samples = 8, Seed = seed, RandomDraws = 3 }));

    [Test]
    public void Audit_SameSeed_GivesIdenticalJson_ApartFromTheTiming()
    {
        using var model = Cnns.NamedCnn(3);
        var a = WithoutTiming(AuditJson(model, 11, new RotationByQuarterTurns()));
        var b = WithoutTiming(AuditJson(model, 11, new RotationByQuarterTurns()));
        Assert.That(b, Is.EqualTo(a));
        Assert.That(a, Does.Contain("\"layers\"").And.Contain("\"max_rel\""));
    }

    [Test]
    public void Audit_OfContinuousRotation_SameSeed_GivesIdenticalJson()
    {
        // Continuous groups are sampled (Haar draws), so this exercises the seeded generator, not just enumeration.
        using var model = Cnns.NamedCnn(3);
        var rotation = TransformCatalogue.CreateContinuous("rotate");
        var a = WithoutTiming(AuditJson(model, 11, rotation));
        var b = WithoutTiming(AuditJson(model, 11, rotation));
        var c = WithoutTiming(AuditJson(model, 12, rotation));
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a), "another seed draws other angles");
    }
}
