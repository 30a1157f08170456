using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.NUnit;
using EquivarianceRegularizer.Sampling;
using EquivarianceRegularizer.Tests.Jit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>
/// Silently wrong results become errors, and mistakes are reported in the user's terms (docs/bad-inputs.md lists each
/// with its message): no libtorch text, C++ frames, interpreter tracebacks or internal names.
/// </summary>
public class UserTermsMessageTests
{
    private static readonly Symmetry Rot90 = Symmetry.Invariant(new RotationByQuarterTurns());

    private static AuditOptions Shape(params long[] shape) => new() { InputShape = shape, Samples = 2, Layers = false };

    private static void AssertUserTerms(string message)
    {
        Assert.That(message, Does.Not.Contain("frame #").And.Not.Contain("Exception raised from").And.Not.Contain("Traceback")
            .And.Not.Contain("HType").And.Not.Contain("empty handle").And.Not.Contain("c10::"));
    }

    [Test]
    public void Lee_OfAModelThatCollapsesTheBatch_IsAnError()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<InvalidOperationException>(() =>
            LocalEquivarianceError.Measure(x => x.mean(new long[] { 0 }, keepdim: true), rand(8, 1, 8, 8), new Rotation()));
        Assert.That(e!.Message, Does.Contain("for a batch of 8 samples").And.Contain("keep the batch axis"));
    }

    [Test]
    public void Regularizer_OfAModelThatCollapsesTheBatch_IsAnError_InTheModelsTerms()
    {
        using var model = new Zoo.Fn("MeanOverBatch", x => x.mean(new long[] { 0 }, keepdim: true));
        using var reg = new EquivarianceError(model, new long[] { 1, 8, 8 }, new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 4);
        using var scope = NewDisposeScope();
        foreach (Action call in new Action[] { () => reg.call(rand(4, 1, 8, 8)), () => reg.call() })
        {
            var e = Assert.Throws<InvalidOperationException>(() => call());
            Assert.That(e!.Message, Is.EqualTo("The model mapped a batch of 4 input rows to an output of shape [1, 1, 8, 8]; the equivariance error needs one " +
                "output row per input row (a model that keeps the batch axis first and does not mix samples)."));
            Assert.That(e.Message, Does.Not.Contain("modelOutput"), "the user passed no modelOutput");
        }
    }

    [Test]
    public void AuditDType_OtherThanFloat32OrFloat64_IsAnError()
    {
        using var model = Cnns.InvariantCnn();
        var e = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90, Shape(1, 8, 8) with { DType = ScalarType.BFloat16 }));
        Assert.That(e!.ParamName, Is.EqualTo("DType"));
        Assert.That(e.Message, Does.StartWith("DType must be ScalarType.Float32 or ScalarType.Float64 (the dtypes the audit has thresholds for), not BFloat16."));
    }

    [Test]
    public void DisposedGenerator_IsAnError_NotTheGlobalGenerator()
    {
        var generator = new Generator(7);
        generator.Dispose();
        var group = new RotationByQuarterTurns().Group;
        var e = Assert.Throws<ObjectDisposedException>(() => group.Sample(4, generator));
        Assert.That(e!.Message, Does.Contain("has been disposed").And.Contain("global generator"));
        Assert.Throws<ObjectDisposedException>(() => PointSampling.Sample(new MonteCarloSampler(), 2, new long[] { 3 }, Bounds.UnitCube, generator, ScalarType.Float32));

        using var model = Cnns.InvariantCnn();
        var refused = Assert.Throws<ArgumentException>(() => new EquivarianceError(model, new long[] { 1, 8, 8 },
            new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 4, options: new EquivarianceErrorOptions { Generator = generator }));
        Assert.That(refused!.ParamName, Is.EqualTo("options"));
        Assert.That(refused.Message, Does.Contain("options.Generator has been disposed"));

        // Disposed after the regularizer was made: its next call refuses instead of drawing from the global generator.
        var live = new Generator(7);
        using var reg = new EquivarianceError(model, new long[] { 1, 8, 8 }, new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) },
            n: 4, options: new EquivarianceErrorOptions { Generator = live });
        live.Dispose();
        using var s = NewDisposeScope();
        Assert.That(() => reg.call(), Throws.InstanceOf<ObjectDisposedException>().With.Message.Contains("EquivarianceErrorOptions"));
    }

    [Test]
    public void InputShape_ThatDisagreesWithInputs_IsAnError()
    {
        using var model = Cnns.InvariantCnn();
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90, Shape(1, 8, 8) with { Inputs = rand(2, 1, 12, 12) }));
        Assert.That(e!.ParamName, Is.EqualTo("InputShape"));
        Assert.That(e.Message, Does.Contain("[1,8,8]").And.Contain("[1,12,12]"));
        Assert.DoesNotThrow(() => Auditor.Audit(model, Rot90, Shape(1, 12, 12) with { Inputs = rand(2, 1, 12, 12) }), "agreeing shapes are fine");
    }

    [Test]
    public void LayerActions_NamingNoLayer_IsAnError()
    {
        using var model = Cnns.InvariantCnn();
        var options = Shape(1, 8, 8) with { LayerActions = new Dictionary<string, LayerActionOverride> { ["no_such_layer"] = LayerActionOverride.NotTestable("x") } };
        var e = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90, options));
        Assert.That(e!.ParamName, Is.EqualTo("LayerActions"));
        Assert.That(e.Message, Does.Contain("'no_such_layer'").And.Contain("The model's layers"));
        var real = model.named_modules().First(m => m.name.Length > 0).name;
        Assert.DoesNotThrow(() => Auditor.Audit(model, Rot90, Shape(1, 8, 8) with
        {
            LayerActions = new Dictionary<string, LayerActionOverride> { [real + "#2"] = LayerActionOverride.NotTestable("x") },
        }));
    }

    [Test]
    public void MetaDeviceModel_IsExplained()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("flat", nn.Flatten()));
        model.to(META);
        var e = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90, Shape(1, 8, 8)));
        Assert.That(e!.Message, Does.Contain("'meta' device").And.Contain("no values"));
    }

    [Test]
    public void DisposedModel_IsExplained()
    {
        var model = Cnns.InvariantCnn();
        model.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => Auditor.Audit(model, Rot90, Shape(1, 8, 8)));
        Assert.That(e!.Message, Does.Contain("The model has been disposed"), e.ToString());
        AssertUserTerms(e.Message);
    }

    [Test]
    public void DisposedInputs_AreExplained()
    {
        using var model = Cnns.InvariantCnn();
        var x = rand(2, 1, 8, 8);
        x.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => Auditor.Audit(model, Rot90, new AuditOptions { Inputs = x }));
        Assert.That(e!.Message, Does.Contain("Inputs has been disposed"));
        Assert.That(Assert.Throws<ObjectDisposedException>(() => LocalEquivarianceError.Measure(model.call, x, new Rotation()))!.Message, Does.Contain("x has been disposed"));
        Assert.That(Assert.Throws<ObjectDisposedException>(() => EquivarianceAssert.IsInvariant(model, new RotationByQuarterTurns(), x))!.Message, Does.Contain("inputs has been disposed"));
    }

    [Test]
    public void WrongChannelCount_IsSaidInTermsOfInputShape()
    {
        using var model = Cnns.InvariantCnn();
        var e = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90, Shape(3, 8, 8)));
        Assert.That(e!.ParamName, Is.EqualTo("InputShape"));
        Assert.That(e.Message, Does.Contain("takes 1 channel(s) but InputShape [3,8,8] gives 3"));
        AssertUserTerms(e.Message);
    }

    [Test]
    public void TorchScriptModel_GivenTheWrongShape_IsExplainedWithoutItsTraceback()
    {
        using var tapped = TappedScriptModule.Load(JitTestFiles.Fixture("small_cnn_scripted.pt"));
        var e = Assert.Throws<ArgumentException>(() => Auditor.Audit(new TappedModel(tapped, "small_cnn_scripted.pt"), Rot90, Shape(3, 8, 8)));
        Assert.That(e!.Message, Does.Contain("gives 3").And.Contain("InputShape [3,8,8]"));
        AssertUserTerms(e.Message);
    }

    [Test]
    public void InputShape_NeedingMoreMemoryThanThereIs_IsRefusedBeforeAllocating()
    {
        using var model = Cnns.InvariantCnn();
        var e = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90, Shape(3, 100_000, 100_000)));
        Assert.That(e!.Message, Does.StartWith("InputShape: a tensor of shape").And.Contain("use a smaller shape"));
    }

    [Test]
    public void Sobol_TooManySamplesOrDimensions_IsSaidInSamplesAndValuesPerSample()
    {
        using var generator = new Generator(1);
        var sobol = new ScrambledSobolSampler();
        var many = Assert.Catch<ArgumentException>(() => sobol.SampleUnitCube(int.MaxValue, 4, generator, ScalarType.Float32));
        Assert.That(many!.Message, Does.Contain("samples").Or.Contain("smaller n"));
        Assert.That(many, Is.Not.InstanceOf<OverflowException>());
        var wide = Assert.Catch<ArgumentException>(() => sobol.SampleUnitCube(4, 70_000, generator, ScalarType.Float32));
        Assert.That(wide!.Message, Does.Contain("at most 65,536 values per sample").And.Contain("70,000"));
    }

    [Test]
    public void HugeBounds_AreBlamedOnTheBounds_NotOnPoints()
    {
        var overflow = Assert.Throws<ArgumentException>(() => Bounds.Scalar(-1e308, 1e308));
        Assert.That(overflow!.Message, Does.Contain("wider than the largest double"));
        var narrow = Bounds.Scalar(-1e300, 1e300 / 4);
        var e = Assert.Throws<ArgumentException>(() => narrow.Resolve(new long[] { 3 }, ScalarType.Float32));
        Assert.That(e!.Message, Does.Contain("does not fit the inputs' dtype Float32").And.Not.Contain("Points"));
    }

    [Test]
    public void EquivarianceAssert_WithEmptyOr0dInputs_SaysWhatToGive()
    {
        using var model = Cnns.InvariantCnn();
        using var scope = NewDisposeScope();
        var empty = Assert.Throws<ArgumentException>(() => EquivarianceAssert.IsInvariant(model, new RotationByQuarterTurns(), zeros(0, 1, 8, 8)));
        Assert.That(empty!.Message, Does.Contain("holds no samples"));
        var scalar = Assert.Throws<ArgumentException>(() => EquivarianceAssert.IsInvariant(model, new RotationByQuarterTurns(), tensor(1.0f)));
        Assert.That(scalar!.Message, Does.Contain("0-d tensor").And.Contain("batch first"));
    }
}
