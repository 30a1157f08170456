using System.Text.Json;
using EquivarianceRegularizer.Lie;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

public class LayerwiseLieDerivativeTests
{
    [TestCase("translate-x", ScalarType.Float32, 1e-4)]
    [TestCase("rotate", ScalarType.Float32, 1e-4)]
    [TestCase("scale", ScalarType.Float64, 1e-10)]
    [TestCase("hue", ScalarType.Float32, 1e-4)]
    public void LayerContributions_SumToTheEndToEndLieDerivative(string transform, ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(3, dtype);
        var x = LieModels.Images(6, 3, 16, 16, dtype: dtype);
        var t = TransformCatalogue.CreateContinuous(transform);
        var report = LayerwiseLieDerivative.Measure(model, x, t, new LieOptions { BatchSize = 4 });
        Assert.That(report.SumRelativeResidual, Is.LessThan(tolerance));
        Assert.That(report.Layers.Sum(l => l.ProjectionShare), Is.EqualTo(1).Within(1e-6));
        Assert.That(report.Layers[^1].CumulativeShare, Is.EqualTo(1).Within(1e-9));
        Assert.That(report.Total.Value, Is.EqualTo(LocalEquivarianceError.Measure(model.call, x, t).Value).Within(1e-6 * report.Total.Value));
        Assert.That(report.Samples, Is.EqualTo(6));
    }

    [Test]
    public void Roles_AreRefinedFromShapes_AndSharesAreGroupedByRole()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(1);
        var x = LieModels.Images(4, 1, 16, 16);
        var report = LayerwiseLieDerivative.Measure(model, x, new TranslationX());
        var roles = report.Layers.Select(l => l.Role).ToArray();
        Assert.That(roles, Is.EqualTo(new[]
        {
            LayerRole.Linear, LayerRole.Nonlinearity, LayerRole.Downsampling, LayerRole.Linear,
            LayerRole.Nonlinearity, LayerRole.Downsampling, LayerRole.GlobalPooling, LayerRole.Linear,
        }));
        Assert.That(report.ShareByRole.Values.Sum(), Is.EqualTo(1).Within(1e-9));
        Assert.That(report.Layers[0].EquivariantOutput, Is.True);
        Assert.That(report.Layers[6].EquivariantOutput, Is.False);
        // The last linear layer acts on an invariant vector: it contributes nothing of its own.
        Assert.That(report.Layers[7].Lee, Is.EqualTo(0));
        Assert.That(report.Layers[2].OutputShape, Is.EqualTo(new long[] { 6, 8, 8 }));
    }

    [Test]
    public void InvariantByConstructionModel_HasZeroContributionsEverywhere()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.CircularLinearConvNet(2);
        var x = LieModels.Images(3, 2, 10, 10);
        var report = LayerwiseLieDerivative.Measure(model, x, new TranslationY(options: new ImageFlowOptions { Padding = ImagePadding.Circular }));
        Assert.That(report.Total.Value, Is.LessThan(1e-20));
        Assert.That(report.Layers.Select(l => l.Lee), Is.All.LessThan(1e-20));
    }

    [Test]
    public void Report_IsJsonSerialisable_WithTheCumulativePlotData()
    {
        using var scope = NewDisposeScope();
        using var model = LieModels.SmallCnn(1);
        var x = LieModels.Images(2, 1, 12, 12);
        var report = LayerwiseLieDerivative.Measure(model, x, new Rotation());
        using var doc = JsonDocument.Parse(report.ToJson());
        var layers = doc.RootElement.GetProperty("layers");
        Assert.That(layers.GetArrayLength(), Is.EqualTo(8));
        Assert.That(layers[2].GetProperty("role").GetString(), Is.EqualTo("Downsampling"));
        Assert.That(layers[7].GetProperty("cumulativeShare").GetDouble(), Is.EqualTo(1).Within(1e-9));
        Assert.That(doc.RootElement.GetProperty("total").GetProperty("value").GetDouble(), Is.EqualTo(report.Total.Value));
        Assert.That(report.ToTable(), Does.Contain("blurpool").And.Contain("rotate"));
    }

    [Test]
    public void ModelWhoseForwardIsNotItsChildrenInOrder_IsRefused()
    {
        using var scope = NewDisposeScope();
        using var residual = LieModels.ResidualBlock();
        var x = LieModels.Images(2, 2, 8, 8);
        var ex = Assert.Throws<InvalidOperationException>(() => LayerwiseLieDerivative.Measure(residual, x, new TranslationX()));
        Assert.That(ex!.Message, Does.Contain("not a plain chain"));
        // The end-to-end Lie derivative of the same model works.
        Assert.That(LocalEquivarianceError.Measure(residual.call, x, new TranslationX()).Value, Is.GreaterThan(0));
    }

    [Test]
    public void ExplicitStages_CanBeGivenForAnyComposition()
    {
        using var scope = NewDisposeScope();
        var w = Weights.Random(new long[] { 3, 1, 3, 3 }, 71, 0.3);
        var stages = new[]
        {
            new LieStage("conv", "Conv2d", z => nn.functional.conv2d(z, w, null, new long[] { 2, 2 }, new long[] { 1, 1 })),
            new LieStage("act", "GELU", z => nn.functional.gelu(z)),
            new LieStage("pool", "Mean", z => z.mean(new long[] { 2, 3 })),
        };
        var x = LieModels.Images(3, 1, 12, 12);
        var report = LayerwiseLieDerivative.Measure(stages, x, new Scaling());
        Assert.That(report.SumRelativeResidual, Is.LessThan(1e-10));
        Assert.That(report.Layers.Select(l => l.Role), Is.EqualTo(new[] { LayerRole.Downsampling, LayerRole.Nonlinearity, LayerRole.GlobalPooling }));
        Tensor Whole(Tensor z) => stages[2].Forward(stages[1].Forward(stages[0].Forward(z)));
        Assert.That(report.Total.Value, Is.EqualTo(LocalEquivarianceError.Measure(Whole, x, new Scaling()).Value).Within(1e-12));
    }
}
