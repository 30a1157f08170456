using EquivarianceRegularizer.Lie;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

public class ScriptModuleLieTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", name);

    [Test]
    public void ScriptedSmallCnn_ForwardModeAgreesWithFiniteDifferences_AndLayersSumToTheTotal()
    {
        using var scope = NewDisposeScope();
        using var tapped = EquivarianceRegularizer.Jit.TappedScriptModule.Load(Fixture("small_cnn_scripted.pt"));
        var model = tapped.Module;
        model.eval();
        var x = LieModels.Images(4, 1, 16, 16, dtype: ScalarType.Float32);
        var t = new Rotation();
        var forward = LieDerivative.Compute(model.call, x, t);
        Assert.That(forward.abs().max().ToDouble(), Is.GreaterThan(0), "a tangent reached the output");
        var report = LayerwiseLieDerivative.Measure(tapped, x, t);
        Assert.That(report.SumRelativeResidual, Is.LessThan(1e-4));
        Assert.That(report.Layers.Select(l => l.Name), Is.EqualTo(new[] { "conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2", "flatten", "fc" }));
        Assert.That(report.Layers[3].Role, Is.EqualTo(LayerRole.Downsampling));
        Assert.That(report.Layers[2].Role, Is.EqualTo(LayerRole.Nonlinearity));

        // In float64 the forward-mode tangent through TorchScript matches symmetric finite differences.
        model.to(ScalarType.Float64);
        var x64 = x.to(ScalarType.Float64);
        var forward64 = LieDerivative.Compute(model.call, x64, t);
        var fd = LieDerivative.Compute(model.call, x64, t, new LieOptions { Method = LieDerivativeMethod.FiniteDifference, FiniteDifferenceStep = 1e-7 });
        using var err = (fd - forward64).norm();
        using var norm = forward64.norm();
        Assert.That(err.ToDouble() / norm.ToDouble(), Is.LessThan(1e-5));
    }

    [Test]
    public void ScriptedModelWhoseForwardIsNotAChainOfChildren_IsRefusedClearly()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load<Tensor, Tensor>(Fixture("nested_scripted.pt"));
        model.eval();
        var x = LieModels.Images(2, 1, 8, 8, dtype: ScalarType.Float32);
        var ex = Assert.Throws<InvalidOperationException>(() => LayerwiseLieDerivative.Measure(model, x, new TranslationX()));
        Assert.That(ex!.Message, Does.Contain("not a plain chain of its top-level children"));
        Assert.That(LocalEquivarianceError.Measure(model.call, x, new TranslationX()).Value, Is.GreaterThan(0));
    }
}
