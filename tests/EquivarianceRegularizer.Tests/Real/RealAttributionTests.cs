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
    [TestCase("mobilenet_v2_scripted", "mobilenet_v2_outofplace_scripted")]
    [TestCase("mobilenet_v2_traced", "mobilenet_v2_outofplace_scripted")]
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
    [TestCase("lraspp_traced")]
    public void Lraspp_WithHardsigmoidAndADictBackbone_IsAttributedByForwardMode(string fixture)
    {
        using var scope = NewDisposeScope();
        var report = Attribute(fixture);
        Assert.That(report.Notes, Has.None.Contains("double backward"), "pushed by forward mode: hardsigmoid has no double backward in libtorch");
        Assert.That(report.Layers.Count, Is.GreaterThan(50));
        Assert.That(report.Layers.Where(l => l.Name.Contains("backbone", StringComparison.Ordinal)).Sum(l => l.Lee), Is.GreaterThan(0), "the backbone's layers are attributed");
        AssertPartition(report, 1e-3);
    }

    // The ViT's reports at its full 64×64 input, shared by the tests below (each takes 10-15 s).
    private static readonly Dictionary<string, LayerwiseLeeReport> VitReports = new();

    private static LayerwiseLeeReport Vit(string fixture)
    {
        lock (VitReports)
        {
            if (!VitReports.TryGetValue(fixture, out var report))
            {
                using var scope = NewDisposeScope();
                VitReports[fixture] = report = Attribute(fixture, size: 64);
            }
            return report;
        }
    }

    [TestCase("vit_traced", "forward mode")]
    [TestCase("vit_scripted", "double backward")]
    public void Vit_IsAttributed_ByTheMethodThatWorks(string fixture, string method)
    {
        var report = Vit(fixture);
        Assert.That(report.Total.Value, Is.GreaterThan(0));
        Assert.That(report.Layers.Select(l => l.Name), Has.Some.StartsWith("encoder.layers"), "the encoder's calls have rows");
        // A scripted nn.MultiheadAttention runs a fused kernel without a forward-mode derivative: the pushes fall back.
        if (method == "double backward") Assert.That(report.Notes, Has.Some.Contains("double backward"));
        else Assert.That(report.Notes, Has.None.Contains("double backward"));
        AssertPartition(report, 1e-3);
    }

    [TestCase("vit_traced")]
    [TestCase("vit_scripted")]
    public void Vit_TokenLayers_CarryTheImageFlowOnTheirPatchGrid(string fixture)
    {
        var report = Vit(fixture);
        Assert.That(report.Notes, Has.Some.Contains("Token tensors [batch, 65, features] carry translate-x on the 8×8 token grid (1 token fixed)"));
        LayerContribution Row(string name) => report.Layers.Single(l => l.Name == name);
        double scale = report.Layers.Max(l => l.Lee);
        string block = "encoder.layers.encoder_layer_0.";
        // Nonlinear layers on tokens break the grid's flow (as ReLU does on feature maps), and so does the position
        // embedding that the encoder adds in its own code: all were 0 while tokens had the trivial action.
        foreach (var name in new[] { block + "ln_1", block + "ln_2", block + "mlp.1", "encoder.(functional)" })
        {
            Assert.That(Row(name).Lee, Is.GreaterThan(1e-6 * scale), name);
            Assert.That(Row(name).EquivariantOutput, Is.True, name + " outputs tokens that the flow moves");
        }
        // A per-token Linear commutes with moving the grid: no own Lie derivative, whatever its weights (torchvision
        // initialises the MLP biases to about 1e-6, which would meet the zero padding at the grid's border).
        foreach (var l in report.Layers.Where(l => l.Kind == "Linear" && l.Name.StartsWith("encoder.", StringComparison.Ordinal)))
            Assert.That(l.Lee, Is.LessThan(1e-9 * scale), l.Name);
        // Only the class token reaches the head, and it does not move: the final LayerNorm works on it alone.
        Assert.That(Row("encoder.ln").Lee, Is.EqualTo(0).Within(1e-12 * scale));
        Assert.That(Row("(functional)").Lee, Is.LessThan(1e-6 * scale), "flatten, class token and its selection are equivariant");
    }

    [Test]
    public void Vit_TracedAndScripted_GiveTheSameTokenRows()
    {
        var traced = Vit("vit_traced");
        var scripted = Vit("vit_scripted");
        Assert.That(traced.Total.Value, Is.EqualTo(scripted.Total.Value).Within(1e-5 * traced.Total.Value));
        double scale = traced.Layers.Max(l => l.Lee);
        var scriptedRows = scripted.Layers.ToDictionary(l => l.Name);
        // A scripted nn.MultiheadAttention cannot be run alone: its share is its encoder block's functional code.
        foreach (var l in traced.Layers)
        {
            string name = l.Name.EndsWith(".self_attention", StringComparison.Ordinal) ? l.Name[..^"self_attention".Length] + "(functional)" : l.Name;
            Assert.That(scriptedRows[name].Lee, Is.EqualTo(l.Lee).Within(1e-4 * scale), l.Name);
        }
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
            if (model is not VisionTransformerBlock) continue;
            // Its 4×4 patch tokens (no class token) carry the flow: the LayerNorm has a share, the per-token Linear none.
            Assert.That(report.Notes, Has.Some.Contains("Token tensors [batch, 16, features] carry translate-x on the 4×4 token grid"));
            double scale = report.Layers.Max(l => l.Lee);
            Assert.That(report.Layers.Single(l => l.Name == "ln_1").Lee, Is.GreaterThan(1e-6 * scale));
            // float32, and a random bias meets the zero padding at the grid's border: small, not exactly zero.
            Assert.That(report.Layers.Single(l => l.Name == "mlp.0").Lee, Is.LessThan(1e-4 * scale));
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
