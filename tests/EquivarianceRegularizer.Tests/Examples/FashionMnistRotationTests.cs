using EquivarianceRegularizer.Data;
using FashionMnistRotation;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Examples;

/// <summary>
/// The Fashion-MNIST example's comparison (examples/FashionMnistRotation) run end to end at a tiny budget: 320 real
/// training images, 10 steps of 32 per variant, 100 test images, one seed. The numbers mean nothing at this budget;
/// what is checked is that every variant is trained and measured, and what holds by construction.
/// </summary>
public class FashionMnistRotationTests
{
    private int _threads;

    // One libtorch thread, as the example runs: on a busy machine two threads spin-wait for each other.
    [OneTimeSetUp]
    public void OneThread()
    {
        _threads = get_num_threads();
        set_num_threads(1);
    }

    [OneTimeTearDown]
    public void RestoreThreads() => set_num_threads(_threads);

    private static Settings Tiny(params string[] more) => Settings.Parse(new[]
    {
        "--train-limit", "320", "--test-limit", "100", "--batch", "32", "--epochs", "1", "--seed", "3",
        "--lambdas", "0.3,3", "--aug-lambdas", "1", "--epsilons", "0.05",
    }.Concat(more).ToArray())!;

    private static void RequireData()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DebianDirectory, "train-images-idx3-ubyte.gz")))
            Assert.Ignore("dataset-fashion-mnist is not installed (scripts/setup.sh installs it).");
    }

    private static void AssertMeasured(Row r)
    {
        Assert.That(new[] { r.Upright, r.Kept }.Concat(r.Rotated), Has.All.InRange(0.0, 1.0), r.Label);
        Assert.That(r.Error, Is.GreaterThanOrEqualTo(0).And.LessThan(double.PositiveInfinity), r.Label);
        Assert.That(r.TrainCost, Is.GreaterThan(0).And.LessThan(double.PositiveInfinity), r.Label);
        Assert.That(r.InferenceCost, Is.GreaterThan(0).And.LessThan(double.PositiveInfinity), r.Label);
    }

    private static void AssertExactlyInvariant(Row r)
    {
        Assert.That(r.Kept, Is.EqualTo(1.0), $"{r.Label}: every prediction kept under all four turns");
        Assert.That(r.Error, Is.LessThan(1e-4), $"{r.Label}: equivariance error");
        Assert.That(r.Rotated, Has.All.EqualTo(r.Upright), $"{r.Label}: the same accuracy under every turn");
    }

    [Test]
    public void AllLabels_AtATinyBudget_MeasuresEveryVariant_AndTheAveragedModelsKeepEveryPrediction()
    {
        RequireData();
        var settings = Tiny();
        using var scope = NewDisposeScope();
        var (trainX, trainY) = FashionMnist.Load(train: true, settings.TrainLimit);
        var (testX, testY) = FashionMnist.Load(train: false, settings.TestLimit);
        var comparison = new Comparison(settings, testX, testY);
        Assert.That(comparison.Steps(trainX.size(0)), Is.EqualTo(10));

        var rows = comparison.AllLabels(trainX, trainY);

        Assert.That(rows.Select(r => r.Label), Is.EqualTo(new[]
        {
            "plain", "augmentation", Comparison.AveragedAtTest, "regularizer λ = 0.3", "regularizer λ = 3",
            "augmentation + regularizer λ = 1", "constrained ε = 0.05 (dual ascent)", "group-averaged (4 turns)",
        }));
        foreach (var r in rows) AssertMeasured(r);
        var byLabel = rows.ToDictionary(r => r.Label);
        AssertExactlyInvariant(byLabel["group-averaged (4 turns)"]);
        AssertExactlyInvariant(byLabel[Comparison.AveragedAtTest]);
        // The plain CNN is not invariant: its predictions change under some turn and its error is far from 0.
        Assert.That(byLabel["plain"].Kept, Is.LessThan(1.0));
        Assert.That(byLabel["plain"].Error, Is.GreaterThan(1e-2));
        // Ten steps train something: better than chance (10 %) upright.
        Assert.That(byLabel["plain"].Upright, Is.GreaterThan(0.2));
        // Only the constrained run reports its final λ, found by dual ascent from 0 (the error starts above ε).
        Assert.That(rows.Where(r => r.FinalLambda is not null).Select(r => r.Label), Is.EqualTo(new[] { "constrained ε = 0.05 (dual ascent)" }));
        Assert.That(byLabel["constrained ε = 0.05 (dual ascent)"].FinalLambda, Is.GreaterThan(0));
        // Costs are ratios to plain in the same seed.
        Assert.That(byLabel["plain"].TrainCost, Is.EqualTo(1.0));
        Assert.That(rows.Select(r => r.CostUnit), Has.All.EqualTo("×"));
        // λ = 3 pulls the turned predictions toward the upright ones harder than λ = 0.3.
        Assert.That(byLabel["regularizer λ = 3"].Error, Is.LessThan(byLabel["regularizer λ = 0.3"].Error));
    }

    [Test]
    public void FewLabels_AtATinyBudget_TrainsTheRegularizerOnUnlabelledImages()
    {
        RequireData();
        var settings = Tiny("--labels", "100", "--variants", "plain,group-averaged,regularizer,aug+reg", "--lambdas", "3");
        using var scope = NewDisposeScope();
        var (trainX, trainY) = FashionMnist.Load(train: true, settings.TrainLimit);
        var (testX, testY) = FashionMnist.Load(train: false, settings.TestLimit);
        var comparison = new Comparison(settings, testX, testY);

        var rows = comparison.FewLabels(trainX, trainY, settings.Labels.Single());

        Assert.That(rows.Select(r => r.Label), Is.EqualTo(new[]
        {
            "plain", "group-averaged (4 turns)", "regularizer λ = 3", "augmentation + regularizer λ = 1",
        }));
        foreach (var r in rows) AssertMeasured(r);
        var byLabel = rows.ToDictionary(r => r.Label);
        AssertExactlyInvariant(byLabel["group-averaged (4 turns)"]);
        Assert.That(byLabel["regularizer λ = 3"].Error, Is.LessThan(byLabel["plain"].Error),
            "the regularizer on unlabelled images lowers the equivariance error below plain's");
    }

    [Test]
    public void Settings_RefuseLabelsThatCannotBeBalanced_NamingTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => Settings.Parse(new[] { "--labels", "15" }));
        Assert.That(e!.Message, Does.Contain("--labels"));
        e = Assert.Throws<ArgumentException>(() => Settings.Parse(new[] { "--aug-lambdas", "1,-1" }));
        Assert.That(e!.Message, Does.Contain("--aug-lambda"));
    }
}
