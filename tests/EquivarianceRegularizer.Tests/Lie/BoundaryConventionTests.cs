using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

public class BoundaryConventionTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "lie", name);

    [Test]
    public void CircularPaddedModel_TakesCircularBoundariesFromItsLayers_AndItsConvolutionsGetNothing()
    {
        using var scope = NewDisposeScope();
        using var model = new CircularCnn();
        model.to(ScalarType.Float64);
        var x = LieModels.Images(4, 1, 12, 12);
        var report = ModelLieAttribution.Measure(model, x, new TranslationX());

        Assert.That(report.Boundary!.Padding, Is.EqualTo(ImagePadding.Circular));
        Assert.That(report.Boundary.FromModel, Is.True);
        Assert.That(report.Boundary.PaddedLayers.Keys, Is.EquivalentTo(new[] { "conv1", "conv2" }));
        Assert.That(report.Boundary.Explanation, Does.Contain("taken from the model").And.Contain("conv1, conv2"));
        Assert.That(report.Transform, Is.EqualTo("translate-x"));
        // The circular convolutions are exactly equivariant: they get nothing. What remains is the pointwise relu and
        // tanh, whose central-difference Lie derivative is not zero (aliasing), in the functional code.
        Assert.That(report.Layers.Where(l => l.Kind == "Conv2d").Select(l => l.Lee), Is.All.LessThan(1e-20 * report.Total.Value));
        Assert.That(report.Culprit, Is.EqualTo("(functional)"));
        Assert.That(report.SumRelativeResidual, Is.LessThan(1e-10));
    }

    [Test]
    public void CircularPaddedModel_WithTheZeroConventionForced_ConvolutionsAreBorderOnly_AndNeverTheCulprit()
    {
        using var scope = NewDisposeScope();
        using var model = new CircularCnn();
        model.to(ScalarType.Float64);
        var x = LieModels.Images(4, 1, 12, 12);
        var report = ModelLieAttribution.Measure(model, x, new TranslationX(), new LieOptions { BoundaryFromModel = false });

        Assert.That(report.Boundary!.FromModel, Is.False);
        Assert.That(report.Boundary.Padding, Is.EqualTo(ImagePadding.Zeros));
        var convs = report.Layers.Where(l => l.Kind == "Conv2d").ToList();
        Assert.That(convs.Select(c => c.Name), Is.EqualTo(new[] { "conv1", "conv2" }));
        // With zero-padded tangents the exactly equivariant circular convolutions get a share, all of it from the border band.
        Assert.That(convs.Sum(c => c.Share), Is.GreaterThan(0.05));
        Assert.That(convs.Select(c => c.BorderOnly), Is.All.True);
        Assert.That(convs.Select(c => c.InteriorLee!.Value), Is.All.LessThan(1e-20));
        Assert.That(report.Culprit, Is.Not.EqualTo("conv1").And.Not.EqualTo("conv2"));
        Assert.That(report.BorderShare, Is.Not.Null);
        Assert.That(report.BorderWidth, Is.EqualTo(2));
        Assert.That(report.SumRelativeResidual, Is.LessThan(1e-10));
    }

    [Test]
    public void ZeroPaddedModel_KeepsZeroBoundaries_AndSaysTheModelAgrees()
    {
        using var scope = NewDisposeScope();
        using var model = new FunctionalCnn();
        model.to(ScalarType.Float64);
        var x = LieModels.Images(2, 1, 12, 12);
        var report = ModelLieAttribution.Measure(model, x, new TranslationY());
        Assert.That(report.Boundary!.Padding, Is.EqualTo(ImagePadding.Zeros));
        Assert.That(report.Boundary.FromModel, Is.True);
        Assert.That(report.Boundary.PaddedLayers.Keys, Is.EquivalentTo(new[] { "conv1", "block.conv" }));
        // Zero-padded convolutions are equivariant inside: their share is the border's. The positional gain's is not.
        Assert.That(report.Layers.Single(l => l.Name == "conv1").BorderOnly, Is.True);
        Assert.That(report.Layers.Single(l => l.Name == "block.pos").BorderOnly, Is.False);
        Assert.That(report.Layers.Single(l => l.Name == "block.pos").InteriorLee, Is.GreaterThan(0));
        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        Assert.That(json.RootElement.GetProperty("boundary").GetProperty("padding").GetString(), Is.EqualTo("Zeros"));
        Assert.That(json.RootElement.GetProperty("culprit").GetString(), Is.EqualTo("block.pos"));
        Assert.That(report.ToTable(), Does.Contain("border only").And.Contain("boundary: zero padding"));
    }

    [Test]
    public void CircularTorchScriptModel_TakesCircularBoundariesFromItsLayers()
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Fixture("circular_cnn.pt"));
        tapped.Module.to(ScalarType.Float64);
        var x = LieModels.Images(3, 1, 10, 10);
        var report = ModelLieAttribution.Measure(tapped, x, new TranslationY());
        Assert.That(report.Boundary!.Padding, Is.EqualTo(ImagePadding.Circular));
        Assert.That(report.Boundary.FromModel, Is.True);
        Assert.That(report.Layers.Where(l => l.Kind == "Conv2d").Select(l => l.Lee), Is.All.LessThan(1e-20 * report.Total.Value));
    }

    [Test]
    public void ModelWhosePaddedLayersDisagree_KeepsTheTransformsBoundaries_AndSaysWhy()
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Fixture("mixed_padding_cnn.pt"));
        tapped.Module.to(ScalarType.Float64);
        var x = LieModels.Images(2, 1, 10, 10);
        var report = ModelLieAttribution.Measure(tapped, x, new TranslationX());
        Assert.That(report.Boundary!.FromModel, Is.False);
        Assert.That(report.Boundary.PaddedLayers["conv1"], Is.EqualTo(ImagePadding.Circular));
        Assert.That(report.Boundary.PaddedLayers["conv2"], Is.EqualTo(ImagePadding.Zeros));
        Assert.That(report.Boundary.Explanation, Does.Contain("disagree"));
        // Neither convolution is blamed for the convention: both are equivariant away from the border.
        Assert.That(report.Layers.Where(l => l.Kind == "Conv2d").Select(l => l.BorderOnly), Is.All.True);
        Assert.That(report.Culprit, Is.Not.EqualTo("conv1").And.Not.EqualTo("conv2"));
    }
}
