using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

public class ModelLieAttributionTests
{
    private static string Fixture(string folder, string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", folder, name);

    private static readonly string[] FunctionalCnnRows = { "conv1", "block.conv", "block.pos", "block.(functional)", "head", "(functional)" };

    private static void AssertPartition(LayerwiseLeeReport report, double tolerance)
    {
        Assert.That(report.SumRelativeResidual, Is.LessThan(tolerance));
        Assert.That(report.Layers.Sum(l => l.ProjectionShare), Is.EqualTo(1).Within(tolerance * 10));
        foreach (var container in report.Containers)
        {
            double parts = report.Layers.Where(l => l.Parent == container.Name).Sum(l => l.ProjectionShare)
                + report.Containers.Where(c => c.Parent == container.Name).Sum(c => c.ProjectionShare);
            Assert.That(container.ProjectionShare, Is.EqualTo(parts).Within(tolerance * 10), container.Name);
        }
    }

    [Test]
    public void TorchSharpModelWithFunctionalCodeAndNesting_SharesAddUpToTheTotal_AndTheCulpritIsNamed()
    {
        using var scope = NewDisposeScope();
        using var model = new FunctionalCnn();
        model.to(ScalarType.Float64);
        model.eval();
        var x = LieModels.Images(6, 1, 12, 12);
        var t = new TranslationX();
        var report = ModelLieAttribution.Measure(model, x, t, new LieOptions { BatchSize = 4 });

        Assert.That(report.Layers.Select(l => l.Name), Is.EqualTo(FunctionalCnnRows));
        AssertPartition(report, 1e-10);
        Assert.That(report.Containers.Select(c => c.Name), Is.EqualTo(new[] { "block" }));
        Assert.That(report.Layers.Single(l => l.Name == "block.pos").Parent, Is.EqualTo("block"));
        Assert.That(report.Culprit, Is.EqualTo("block.pos"));
        Assert.That(report.Total.Value, Is.EqualTo(LocalEquivarianceError.Measure(model.call, x, t).Value).Within(1e-9 * report.Total.Value));
        // The functional code (relu, mean, tanh, the residual sum) has a Lie derivative of its own.
        Assert.That(report.Layers.Single(l => l.Name == "(functional)").Lee, Is.GreaterThan(0));
        Assert.That(report.Samples, Is.EqualTo(6));
    }

    [Test]
    public void TorchScriptModelWithFunctionalCodeAndNesting_SharesAddUpToTheTotal_AndTheCulpritIsNamed()
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Fixture("lie", "functional_cnn.pt"));
        tapped.Module.to(ScalarType.Float64);
        tapped.Module.eval();
        var x = LieModels.Images(5, 1, 12, 12);
        var t = new TranslationY();
        var report = ModelLieAttribution.Measure(tapped, x, t);

        Assert.That(report.Layers.Select(l => l.Name), Is.EqualTo(FunctionalCnnRows));
        Assert.That(report.Layers[0].Kind, Is.EqualTo("Conv2d"));
        AssertPartition(report, 1e-10);
        Assert.That(report.Culprit, Is.EqualTo("block.pos"));
        Assert.That(report.Total.Value, Is.EqualTo(LocalEquivarianceError.Measure(tapped.Module.call, x, t).Value).Within(1e-9 * report.Total.Value));
    }

    [Test]
    public void PlainChain_EachModuleShareEqualsTheChainAttribution()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(2);
        var x = LieModels.Images(4, 2, 16, 16);
        var t = new Rotation();
        var chain = LayerwiseLieDerivative.Measure(model, x, t);
        var modules = ModelLieAttribution.Measure(model, x, t);
        Assert.That(modules.Layers.Take(chain.Layers.Count).Select(l => l.Name), Is.EqualTo(chain.Layers.Select(l => l.Name)));
        for (int i = 0; i < chain.Layers.Count; i++)
            Assert.That(modules.Layers[i].Lee, Is.EqualTo(chain.Layers[i].Lee).Within(1e-9 * chain.Total.Value + 1e-300), chain.Layers[i].Name);
        // A chain has no functional code.
        Assert.That(modules.Layers[^1].Lee, Is.LessThan(1e-20 * chain.Total.Value));
        AssertPartition(modules, 1e-10);
    }

    [Test]
    public void ResidualModelTheChainApiRefuses_IsAttributed_WithTheSumInItsFunctionalCode()
    {
        using var scope = NewDisposeScope();
        using var residual = LieModels.ResidualBlock();
        var x = LieModels.Images(2, 2, 8, 8);
        Assert.Throws<InvalidOperationException>(() => LayerwiseLieDerivative.Measure(residual, x, new TranslationX()));
        var report = ModelLieAttribution.Measure(residual, x, new TranslationX());
        Assert.That(report.Layers.Select(l => l.Name), Is.EqualTo(new[] { "act", "conv", "(functional)" }));
        AssertPartition(report, 1e-10);
    }

    [Test]
    public void NestedTorchScriptModelTheChainApiRefuses_IsAttributed_ChildCalledTwiceIncluded()
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Fixture("jit", "nested_scripted.pt"));
        tapped.Module.eval();
        var x = LieModels.Images(3, 1, 8, 8, dtype: ScalarType.Float32);
        var report = ModelLieAttribution.Measure(tapped, x, new TranslationX());
        Assert.That(report.Layers.Select(l => l.Name), Does.Contain("act").And.Contain("act#2"), "a second call is named as the audit names it");
        Assert.That(report.Containers.Select(c => c.Name), Does.Contain("features").And.Contain("features.2"));
        AssertPartition(report, 1e-4);
    }

    [Test]
    public void NestedSequentials_WhichDisposeTheirIntermediates_AreAttributed()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(21);
        using var model = nn.Sequential(
            ("features", nn.Sequential(("conv", nn.Conv2d(1, 3, 3, padding: 1)), ("act", nn.GELU()), ("pool", nn.MaxPool2d(2)))),
            ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(3, 4)));
        model.to(ScalarType.Float64);
        var x = LieModels.Images(3, 1, 12, 12);
        var t = new Scaling();
        var report = ModelLieAttribution.Measure(model, x, t);
        Assert.That(report.Layers.Select(l => l.Name), Is.EqualTo(new[] { "features.conv", "features.act", "features.pool", "gap", "flatten", "fc", "(functional)" }));
        Assert.That(report.Containers.Select(c => c.Name), Is.EqualTo(new[] { "features" }));
        Assert.That(report.Layers.Single(l => l.Name == "features.pool").Role, Is.EqualTo(LayerRole.Downsampling));
        AssertPartition(report, 1e-10);
        // No functional code anywhere: Sequential's own row is left out, the model's is rounding.
        Assert.That(report.Layers[^1].Lee, Is.LessThan(1e-20 * report.Total.Value));
        var chain = LayerwiseLieDerivative.Measure(model, x, t);
        Assert.That(report.Containers[0].Lee, Is.EqualTo(chain.Layers[0].Lee).Within(1e-9 * chain.Layers[0].Lee));
    }

    [Test]
    public void ChildReturningATuple_IsLeftToTheFunctionalCode_AndSaidSo()
    {
        using var scope = NewDisposeScope();
        using var model = new TupleChildNet();
        model.to(ScalarType.Float64);
        var x = LieModels.Images(2, 1, 10, 10);
        var report = ModelLieAttribution.Measure(model, x, new TranslationX());
        Assert.That(report.Layers.Select(l => l.Name), Is.EqualTo(new[] { "conv", "head", "(functional)" }));
        Assert.That(report.Notes, Has.Some.Contains("'split'").And.Some.Contains("functional code"));
        AssertPartition(report, 1e-10);
    }

    [Test]
    public void TorchScriptModelLoadedWithoutTaps_IsRefusedWithWhatToDo()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load<Tensor, Tensor>(Fixture("lie", "functional_cnn.pt"));
        var x = LieModels.Images(1, 1, 12, 12, dtype: ScalarType.Float32);
        var ex = Assert.Throws<ArgumentException>(() => ModelLieAttribution.Measure(model, x, new TranslationX()));
        Assert.That(ex!.Message, Does.Contain("TappedScriptModule.Load"));
    }
}
