using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Tests.Zoo;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static EquivarianceRegularizer.Tests.Real.RealFixtures;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Real;

/// <summary>Per-module Lie-derivative attribution on torchvision's own architectures (small inputs; 224×224 is a benchmark).</summary>
public class RealAttributionTests
{
    // One or two samples, cropped to size × size: enough to exercise every call while keeping the suite's time bounded.
    private static LayerwiseLeeReport Attribute(string fixture, int samples = 1, long size = 16)
    {
        using var tapped = TappedScriptModule.Load(RealArchive(fixture));
        tapped.Module.eval();
        var full = Input(fixture);
        var x = full.narrow(0, 0, samples).narrow(2, 0, Math.Min(size, full.size(2))).narrow(3, 0, Math.Min(size, full.size(3)));
        return ModelLieAttribution.Measure(new TappedModel(tapped, fixture), x, new TranslationX());
    }

    private static void AssertPartition(LayerwiseLeeReport report, double tolerance)
    {
        Assert.That(report.SumRelativeResidual, Is.LessThan(tolerance), "rows add up to the end-to-end Lie derivative");
        Assert.That(report.Layers.Sum(l => l.ProjectionShare), Is.EqualTo(1).Within(tolerance * 10));
    }

    [TestCase("resnet18_scripted", "resnet18_outofplace_scripted")]
    [TestCase("resnet18_traced", "resnet18_outofplace_traced")]
    public void InPlaceOps_GiveTheAttributionOfTheirOutOfPlaceTwin(string inPlace, string outOfPlace)
    {
        using var scope = NewDisposeScope();
        var a = Attribute(inPlace);
        var b = Attribute(outOfPlace);
        Assert.That(a.Layers.Select(l => l.Name), Is.EqualTo(b.Layers.Select(l => l.Name)), "same rows, same names");
        Assert.That(a.Total.Value, Is.EqualTo(b.Total.Value).Within(1e-5 * b.Total.Value));
        double scale = b.Layers.Max(l => l.Lee);
        for (int i = 0; i < a.Layers.Count; i++)
        {
            Assert.That(a.Layers[i].Lee, Is.EqualTo(b.Layers[i].Lee).Within(1e-4 * scale), a.Layers[i].Name);
            Assert.That(a.Layers[i].ProjectionShare, Is.EqualTo(b.Layers[i].ProjectionShare).Within(1e-4), a.Layers[i].Name);
        }
        // `out += identity` once moved the block's Lie derivative onto bn2 with an equal and opposite functional row.
        var bn2 = a.Layers.FirstOrDefault(l => l.Name.EndsWith(".0.bn2", StringComparison.Ordinal));
        if (bn2 is not null) Assert.That(bn2.Lee, Is.EqualTo(b.Layers.First(l => l.Name == bn2.Name).Lee).Within(1e-4 * scale));
        AssertPartition(a, 1e-3);
    }

    [Test]
    public void ResNet18_SecondCallOfAModule_IsNamedAsTheAuditNamesIt()
    {
        using var scope = NewDisposeScope();
        var report = Attribute("resnet18_scripted", size: 32);
        Assert.That(report.Layers.Select(l => l.Name), Does.Contain("layer1.0.relu").And.Contain("layer1.0.relu#2"));
    }

    [TestCase("lraspp_scripted")]
    public void Lraspp_WithHardsigmoidAndADictBackbone_IsAttributedByForwardMode(string fixture)
    {
        using var scope = NewDisposeScope();
        var report = Attribute(fixture);
        Assert.That(report.Notes, Has.Some.Contains("forward-mode"), "hardsigmoid has no double backward in libtorch");
        Assert.That(report.Layers.Count, Is.GreaterThan(50));
        Assert.That(report.Layers.Where(l => l.Name.Contains("backbone", StringComparison.Ordinal)).Sum(l => l.Lee), Is.GreaterThan(0), "the backbone's layers are attributed");
        AssertPartition(report, 1e-3);
    }

    [TestCase("attention_qkv_scripted", 16)]
    [TestCase("attention_qkv_traced", 16)]
    [TestCase("dict_backbone_scripted", 16)]
    [TestCase("dict_backbone_traced", 16)]
    public void SeveralTensorsInOrADictOut_IsAttributed_TheRestAroundIt(string fixture, long size)
    {
        using var scope = NewDisposeScope();
        var report = Attribute(fixture, size: size);
        Assert.That(report.Layers.Count, Is.GreaterThan(2));
        AssertPartition(report, 1e-3);
    }

    [Test]
    public void TorchSharpZoo_ResNet18AndVitBlock_AreAttributedThroughHooks()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(18);
        foreach (var model in new[] { RealArchitectures.ResNet18(gen), RealArchitectures.Vit(gen) })
        {
            var x = rand(2, 3, 16, 16, generator: gen);
            var report = ModelLieAttribution.Measure(model, x, new TranslationX());
            Assert.That(report.Layers.Count, Is.GreaterThan(4), model.GetName());
            AssertPartition(report, 1e-3);
        }
    }

    [TestCase("dict_backbone_scripted")]
    [TestCase("attention_qkv_scripted")]
    public void ObservedModel_LayerFunction_IsNullForCallsThatAreNotOneTensorInAndOut(string fixture)
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(RealArchive(fixture));
        tapped.Module.eval();
        var model = new TappedModel(tapped, fixture);
        var observed = model.Observe(Input(fixture));
        var odd = observed.Calls.Where(c => c.NotSingleTensorReason is not null).ToList();
        Assert.That(odd, Is.Not.Empty);
        foreach (var c in odd) Assert.That(model.LayerFunction(c.Module), Is.Null, c.Name);
    }
}
