using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.NUnit;
using EquivarianceRegularizer.Tests.Jit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>
/// Audits and assertions in the middle of training leave the user's model as it was: the very same Parameter objects
/// with the same values, so an optimizer built before them steps normally afterwards.
/// </summary>
public class UserModelUntouchedTests
{
    private static Sequential IssueModel()
    {
        using var _ = NewDisposeScope();
        manual_seed(5);
        return nn.Sequential(("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("bn", nn.BatchNorm2d(4)), ("relu", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(4, 3)));
    }

    public enum Step { Audit, AuditFloat64, Assert }

    private static void RunStep(Step step, Sequential model)
    {
        var spec = Symmetry.Invariant(new RotationByQuarterTurns());
        var options = new AuditOptions { InputShape = new long[] { 1, 12, 12 }, Samples = 4 };
        switch (step)
        {
            case Step.Audit:
                var report = Auditor.Audit(model, spec, options);
                // The issue's model is not invariant: the float64 re-run is taken (the path that replaced Parameters).
                Assert.That(report.Precision, Is.Not.Null, "the float64 re-run should have run");
                break;
            case Step.AuditFloat64:
                Auditor.Audit(model, spec, options with { DType = ScalarType.Float64 });
                break;
            case Step.Assert:
                Assert.Throws<AssertionException>(() => EquivarianceAssert.IsInvariant(model, new RotationByQuarterTurns(), new long[] { 1, 12, 12 }));
                break;
        }
    }

    [Test]
    public void Optimizer_BuiltBeforeAnAuditOrAssertion_StepsNormallyAfterIt(
        [Values] Step step, [Values("SGD", "Adam")] string optimizerName)
    {
        using var model = IssueModel();
        var parameters = model.parameters().ToList();
        using var optimizer = optimizerName == "SGD" ? (optim.Optimizer)optim.SGD(parameters, 0.1) : optim.Adam(parameters, 0.01);
        TrainStep(model, optimizer); // the optimizer has state for every parameter (Adam's moments)
        var before = parameters.Select(p => p.detach().clone()).ToList();
        var buffersBefore = model.buffers().ToList();

        RunStep(step, model);

        var after = model.parameters().ToList();
        Assert.That(after, Has.Count.EqualTo(parameters.Count));
        for (int i = 0; i < after.Count; i++)
        {
            Assert.That(after[i], Is.SameAs(parameters[i]), $"parameter {i} was replaced");
            Assert.That(after[i].dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(Same(after[i], before[i]), Is.True, $"parameter {i} changed value");
        }
        Assert.That(model.buffers().ToList(), Is.EqualTo(buffersBefore).Using<Tensor>((a, b) => ReferenceEquals(a, b)), "buffers were replaced");

        Assert.DoesNotThrow(() => TrainStep(model, optimizer));
        Assert.That(parameters.Select((p, i) => Same(p, before[i])).Any(same => !same), Is.True, "the optimizer did not move the parameters");
        foreach (var t in before) t.Dispose();
    }

    [Test]
    public void Optimizer_OnTorchScriptModel_StepsNormallyAfterAFloat64Audit()
    {
        using var tapped = TappedScriptModule.Load(JitTestFiles.Fixture("small_cnn_scripted.pt"));
        var parameters = tapped.Module.parameters().ToList();
        using var optimizer = optim.Adam(parameters, 0.01);
        var before = parameters.Select(p => p.detach().clone()).ToList();

        Auditor.Audit(new TappedModel(tapped, "small_cnn_scripted.pt"), Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 8, 8 }, Samples = 4, DType = ScalarType.Float64 });

        for (int i = 0; i < parameters.Count; i++)
        {
            Assert.That(parameters[i].dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(Same(parameters[i], before[i]), Is.True, $"parameter {i} changed value");
        }
        Assert.DoesNotThrow(() =>
        {
            using var _ = NewDisposeScope();
            optimizer.zero_grad();
            tapped.Module.call(rand(4, 1, 8, 8)).square().mean().backward();
            optimizer.step();
        });
        Assert.That(parameters.Select((p, i) => Same(p, before[i])).Any(same => !same), Is.True);
        foreach (var t in before) t.Dispose();
    }

    [Test]
    public void Conversion_KeepsParametersHeldInListsAndFields()
    {
        using var model = new ListHolder();
        var original = model.parameters().ToList();
        using (ModuleDtypeConversion.Convert(model, ScalarType.Float64))
        {
            Assert.That(model.parameters().All(p => p.dtype == ScalarType.Float64), Is.True);
            using var _ = NewDisposeScope();
            Assert.That(model.call(ones(2, 3, dtype: ScalarType.Float64)).dtype, Is.EqualTo(ScalarType.Float64));
        }
        Assert.That(model.parameters().ToList(), Is.EqualTo(original).Using<Parameter>((a, b) => ReferenceEquals(a, b)));
        using var scope = NewDisposeScope();
        Assert.That(model.call(ones(2, 3)).dtype, Is.EqualTo(ScalarType.Float32));
    }

    /// <summary>A custom module keeping parameters in a field and in a ParameterList.</summary>
    private sealed class ListHolder : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter scale = new(ones(3));
        private readonly ParameterList shifts = new(new Parameter(zeros(3)), new Parameter(ones(3)));

        public ListHolder() : base(nameof(ListHolder)) => RegisterComponents();

        public override Tensor forward(Tensor input) => input * scale + shifts[0] + shifts[1];
    }

    private static void TrainStep(Sequential model, optim.Optimizer optimizer)
    {
        using var _ = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.call(rand(8, 1, 12, 12)), randint(0, 3, new long[] { 8 })).backward();
        optimizer.step();
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();
}
