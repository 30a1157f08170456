using EquivarianceRegularizer.Audit;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>Bad inputs to <see cref="Auditor.Audit(nn.Module{Tensor, Tensor}, Symmetry, AuditOptions)"/> (docs/bad-inputs.md, section "Audit").</summary>
public class AuditBadInputTests
{
    private static readonly long[] Image = { 1, 4, 4 };

    private static Symmetry Rot90Invariant => Symmetry.Invariant(new RotationByQuarterTurns());

    private static AuditOptions Options => new() { InputShape = Image, Samples = 4, Seed = 1, Layers = false, Gradient = false };

    [Test]
    public void NullModelSpecOrOptions_ThrowArgumentNull()
    {
        using var model = Cnns.NamedCnn(1);
        Assert.Throws<ArgumentNullException>(() => Auditor.Audit((nn.Module<Tensor, Tensor>)null!, Rot90Invariant, Options));
        Assert.Throws<ArgumentNullException>(() => Auditor.Audit(model, null!, Options));
        Assert.Throws<ArgumentNullException>(() => Auditor.Audit(model, Rot90Invariant, null!));
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void Samples_BelowOne_ThrowsArgumentOutOfRange(int samples)
    {
        using var model = Cnns.NamedCnn(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Auditor.Audit(model, Rot90Invariant, new AuditOptions { InputShape = Image, Samples = samples }));
        Assert.That(ex!.ParamName, Is.EqualTo("Samples"));
    }

    [Test]
    public void Bounds_WithLowAboveHigh_ThrowArgumentException()
    {
        using var model = Cnns.NamedCnn(1);
        var ex = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90Invariant, new AuditOptions { InputShape = Image, Bounds = (1, 0) }));
        Assert.That(ex!.ParamName, Is.EqualTo("bounds"));
        Assert.That(ex.Message, Is.EqualTo("Bounds from the pair [1, 0] need lower ≤ upper; entry 0 is [1, 0]. (Parameter 'bounds')"));
    }

    [Test]
    public void Bounds_WithNaN_ThrowArgumentException()
    {
        using var model = Cnns.NamedCnn(1);
        var ex = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90Invariant, new AuditOptions { InputShape = Image, Bounds = (double.NaN, 1) }));
        Assert.That(ex!.ParamName, Is.EqualTo("bounds"));
        Assert.That(ex.Message, Is.EqualTo("Bounds from the pair [NaN, 1] must be finite; entry 0 is [NaN, 1]. (Parameter 'bounds')"));
    }

    [Test]
    public void IntegerDType_ThrowsArgumentException()
    {
        using var model = Cnns.NamedCnn(1);
        var ex = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90Invariant, Options with { DType = ScalarType.Int64 }));
        Assert.That(ex!.ParamName, Is.EqualTo("DType"));
        Assert.That(ex.Message, Does.StartWith("DType must be ScalarType.Float32 or ScalarType.Float64 (the dtypes the audit has thresholds for), not Int64."));
    }

    [Test]
    public void NeitherInputShapeNorInputs_ThrowsArgumentException()
    {
        using var model = Cnns.NamedCnn(1);
        var ex = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90Invariant, new AuditOptions()));
        Assert.That(ex!.ParamName, Is.EqualTo("InputShape"));
    }

    [Test]
    public void InputShape_WithZeroSize_ThrowsArgumentException()
    {
        using var model = Cnns.NamedCnn(1);
        var ex = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90Invariant, new AuditOptions { InputShape = new long[] { 1, 0, 4 } }));
        Assert.That(ex!.ParamName, Is.EqualTo("InputShape"));
    }

    [Test]
    public void Inputs_WithNaN_ThrowArgumentException_NamingInputs()
    {
        using var model = Cnns.NamedCnn(1);
        using var x = rand(4, 1, 4, 4);
        using (var row = x[2]) row.fill_(double.NaN);
        var ex = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90Invariant, new AuditOptions { Inputs = x, Layers = false, Gradient = false }));
        Assert.That(ex!.ParamName, Is.EqualTo("Inputs"));
        Assert.That(ex.Message, Does.Contain("NaN"));
    }

    [Test]
    public void InputTransform_ThatCannotActOnTheInputs_ThrowsArgumentException_NamingSpec()
    {
        using var model = nn.Linear(5, 2);
        var ex = Assert.Throws<ArgumentException>(() => Auditor.Audit(model, Rot90Invariant, Options with { InputShape = new long[] { 5 } }));
        Assert.That(ex!.ParamName, Is.EqualTo("spec"));
        Assert.That(ex.Message, Does.Contain("rot90"));
    }

    [Test]
    public void OutputTransform_ThatDoesNotFitTheOutput_Fails_WithOutputTransformDiagnosis()
    {
        // Equivariance declared with rot90 on the output, but the model outputs logits (batch, 3).
        using var model = Cnns.NamedCnn(1);
        var report = Auditor.Audit(model, Symmetry.Equivariant(new RotationByQuarterTurns()), Options);
        Assert.That(report.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(report.Diagnoses.Select(d => d.Kind), Does.Contain(DiagnosisKind.OutputTransform));
    }

    [Test]
    public void InputShape_ThatTheModelRejects_ThrowsTheModelsError_NotACrash()
    {
        // The CNN expects 1 channel; 3 channels make conv2d throw inside the model.
        using var model = Cnns.NamedCnn(1);
        var ex = Assert.Catch(() => Auditor.Audit(model, Rot90Invariant, Options with { InputShape = new long[] { 3, 4, 4 } }));
        Assert.That(ex, Is.InstanceOf<System.Runtime.InteropServices.ExternalException>().Or.InstanceOf<ArgumentException>());
        Assert.That(ex!.Message, Does.Contain("channels").Or.Contain("shape").Or.Contain("size"));
    }

    [Test]
    public void ModelThatThrows_PropagatesItsException_AndRestoresTheModel()
    {
        using var model = new ThrowingModel();
        model.train();
        var ex = Assert.Throws<InvalidOperationException>(() => Auditor.Audit(model, Rot90Invariant, Options));
        Assert.That(ex!.Message, Does.Contain("failed on purpose"));
        Assert.That(model.training, Is.True, "the audit restores the mode it changed");
    }
}
