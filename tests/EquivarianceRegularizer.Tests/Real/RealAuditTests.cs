using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;
using static EquivarianceRegularizer.Tests.Real.RealFixtures;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Real;

/// <summary>
/// <c>eqv audit --layers --gradient</c>'s library call on torchvision's own architectures (the fixtures' two small
/// inputs; 224×224 is a benchmark): verdict, first failing layer, token actions, in place = out of place.
/// </summary>
public class RealAuditTests
{
    private static AuditReport Audit(string fixture, bool equivariant)
    {
        using var tapped = TappedScriptModule.Load(RealArchive(fixture));
        tapped.Module.eval();
        using var x = Input(fixture);
        var spec = equivariant ? Symmetry.Equivariant(new RotationByQuarterTurns()) : Symmetry.Invariant(new RotationByQuarterTurns());
        return Auditor.Audit(new TappedModel(tapped, fixture), spec, new AuditOptions { Inputs = x, Layers = true, Gradient = true });
    }

    [TestCase("resnet18_traced", false, "conv1")]
    [TestCase("resnet18_scripted", false, "conv1")]
    [TestCase("resnet18_outofplace_traced", false, "conv1")]
    [TestCase("resnet18_outofplace_scripted", false, "conv1")]
    [TestCase("mobilenet_v2_traced", false, "features.0.0")]
    [TestCase("mobilenet_v2_scripted", false, "features.0.0")]
    [TestCase("mobilenet_v2_outofplace_scripted", false, "features.0.0")]
    [TestCase("lraspp_traced", true, "m.backbone.0.0")]
    [TestCase("lraspp_scripted", true, "m.backbone.0.0")]
    [TestCase("attention_qkv_traced", true, "stem")]
    [TestCase("attention_qkv_scripted", true, "stem")]
    [TestCase("dict_backbone_traced", true, "backbone.stem.0")]
    [TestCase("dict_backbone_scripted", true, "backbone.stem.0")]
    public void RandomInitArchitecture_FailsQuarterTurns_AtItsFirstConvolution(string fixture, bool equivariant, string culprit)
    {
        using var scope = NewDisposeScope();
        var r = Audit(fixture, equivariant);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), string.Join("; ", r.Reasons));
        Assert.That(r.FirstFailingLayer, Is.EqualTo(culprit));
        Assert.That(r.Layers.Single(l => l.Name == culprit).Grade, Is.EqualTo(ErrorGrade.Broken));
        Assert.That(r.Gradient, Is.Not.Null);
        Assert.That(r.Gradient!.Judged, Is.True, r.Gradient.NotJudgedReason);
        Assert.That(r.Layers.Count(l => l.Tested), Is.GreaterThan(0));
    }

    [TestCase("resnet18_traced", "resnet18_outofplace_traced")]
    [TestCase("resnet18_scripted", "resnet18_outofplace_scripted")]
    [TestCase("mobilenet_v2_scripted", "mobilenet_v2_outofplace_scripted")]
    [TestCase("mobilenet_v2_traced", "mobilenet_v2_outofplace_scripted")]
    public void InPlaceOps_GiveTheLayerTableOfTheirOutOfPlaceTwin(string inPlace, string outOfPlace)
    {
        using var scope = NewDisposeScope();
        var a = Audit(inPlace, false);
        var b = Audit(outOfPlace, false);
        var rowsB = b.Layers.ToDictionary(l => l.Name);
        foreach (var l in a.Layers.Where(l => l.Tested && rowsB.ContainsKey(l.Name)))
        {
            var t = rowsB[l.Name];
            Assert.That(l.Grade, Is.EqualTo(t.Grade), l.Name);
            Assert.That(l.OwnMaxRelative, Is.EqualTo(t.OwnMaxRelative).Within(1e-4 + 1e-3 * t.OwnMaxRelative), l.Name);
            Assert.That(l.CumulativeMaxRelative, Is.EqualTo(t.CumulativeMaxRelative).Within(1e-4 + 1e-3 * t.CumulativeMaxRelative), l.Name);
        }
        Assert.That(a.FirstFailingLayer, Is.EqualTo(b.FirstFailingLayer));
        Assert.That(a.Gradient!.Relative!.Max, Is.EqualTo(b.Gradient!.Relative!.Max).Within(1e-3 * b.Gradient.Relative.Max));
    }

    [TestCase("vit_traced")]
    [TestCase("vit_scripted")]
    public void Vit_TokensGetTheQuarterTurnsOfTheirPatchGrid_AndThePositionEmbeddingIsBlamed(string fixture)
    {
        using var scope = NewDisposeScope();
        var r = Audit(fixture, false);
        // The encoder's blocks see 1 class token + 8×8 patch tokens: the image's quarter turns permute the patch tokens.
        var block = r.Layers.Single(l => l.Name == "encoder.layers.encoder_layer_0");
        Assert.That(block.InputAction, Does.Contain("8×8 token grid").And.Contain("1 token fixed"));
        Assert.That(block.Grade, Is.LessThanOrEqualTo(ErrorGrade.Excellent), "self-attention without positions is permutation-equivariant");
        Assert.That(block.OwnMaxRelative, Is.Not.EqualTo(0), "tested under a real action, not the trivial one");
        foreach (var name in new[] { "encoder.layers.encoder_layer_0.ln_1", "encoder.layers.encoder_layer_0.mlp", "encoder.ln" })
        {
            var l = r.Layers.Single(x => x.Name == name);
            Assert.That(l.InputAction, Does.Contain("token grid"), name);
            Assert.That(l.Grade, Is.LessThanOrEqualTo(ErrorGrade.Excellent), name);
        }
        // encoder.forward adds the position embedding: its own code breaks the symmetry while every block inside passes.
        var encoder = r.Layers.Single(l => l.Name == "encoder");
        Assert.That(encoder.Grade, Is.EqualTo(ErrorGrade.Broken));
        Assert.That(encoder.BreaksInOwnCode, Is.True);
        Assert.That(r.Diagnoses.Select(d => d.Location), Has.Some.Contains("encoder"));
        // The fixture's head is random (torchvision's zero head would make every logit 0 and the test vacuous): the
        // model is not invariant, and the first failing layer is one the symmetry cannot pass.
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(r.Reasons, Has.None.Contains("all zero"));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("conv_proj"), "random patch weights do not turn with the image");
    }

    [Test]
    public void AllZeroOutputs_AreVacuous_AndTheirZeroGradientsNotJudged()
    {
        using var scope = NewDisposeScope();
        var r = Audit("zero_output_scripted", true);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.NeedsAttention));
        Assert.That(r.Reasons, Has.Some.Contains("all zero"));
        Assert.That(r.FirstFailingLayer, Is.Null);
        Assert.That(r.Gradient!.Judged, Is.False);
        Assert.That(r.Gradient.NotJudgedReason, Does.Contain("exactly zero"));
    }

    [Test]
    public void TokenGrid_AContinuousTransform_LeavesTokensTrivial_AndSaysWhy()
    {
        using var scope = NewDisposeScope();
        var grids = new[] { new TokenGrid("conv_proj", 8, 8, true) };
        var (action, why) = TokenGrid.Carry(grids, new TranslationX(), new long[] { 2, 65, 64 });
        Assert.That(action, Is.Null);
        Assert.That(why, Does.Contain("does not map").And.Contain("conv_proj"));
        var rot90 = new RotationByQuarterTurns();
        var (rot, none) = TokenGrid.Carry(grids, rot90, new long[] { 2, 65, 64 });
        Assert.That(none, Is.Null);
        using var g = rot90.Group.Element(1, 2);
        using var t = arange(2 * 65 * 3, dtype: ScalarType.Float32).reshape(2, 65, 3);
        using var moved = rot!.Apply(t, g);
        Assert.That(moved[0, 0].eq(t[0, 0]).all().item<bool>(), Is.True, "the class token stays");
        // Token 1 + (i·8 + j) holds grid point (i, j); a quarter turn is rot90 of the [features, 8, 8] map.
        using var expected = t.narrow(1, 1, 64).reshape(2, 8, 8, 3).permute(0, 3, 1, 2).rot90(1, (2, 3)).permute(0, 2, 3, 1).reshape(2, 64, 3);
        Assert.That(moved.narrow(1, 1, 64).eq(expected).all().item<bool>(), Is.True);
        Assert.That(moved.eq(t).all().item<bool>(), Is.False, "the tokens moved");
        // 80 tokens would need 16 leading tokens before an 8×8 grid: not this grid's tokens.
        var (other, otherWhy) = TokenGrid.Carry(grids, rot90, new long[] { 2, 80, 64 });
        Assert.That((other, otherWhy), Is.EqualTo(((IGroupTransform?)null, (string?)null)));
    }
}
