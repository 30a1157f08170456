using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>Reports name layers by the types users wrote, not TorchSharp's internal names.</summary>
public class LayerTypeNameTests
{
    [Test]
    public void Report_NamesBatchNorm2dAndSequential_AsWritten()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 2, 3, padding: 1)), ("bn", nn.BatchNorm2d(2)), ("block", nn.Sequential(("relu", nn.ReLU()))),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()));
        var report = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), new AuditOptions { InputShape = new long[] { 1, 8, 8 }, Samples = 2 });
        Assert.That(report.Model, Is.EqualTo("Sequential"));
        var types = report.Layers.ToDictionary(l => l.Name, l => l.TypeName);
        Assert.That(types["bn"], Is.EqualTo("BatchNorm2d"));
        Assert.That(types["block"], Is.EqualTo("Sequential"));
        Assert.That(types["conv"], Is.EqualTo("Conv2d"));
        Assert.That(types.Values, Has.None.Contains("::").And.None.EqualTo("BatchNorm1d"));
    }

    [Test]
    public void UserModule_KeepsTheNameItGaveItsConstructor()
    {
        using var block = new Named();
        Assert.That(block.TypeName(), Is.EqualTo("MyBlock"));
    }

    private sealed class Named : nn.Module<Tensor, Tensor>
    {
        public Named() : base("MyBlock") => RegisterComponents();

        public override Tensor forward(Tensor input) => input;
    }
}
