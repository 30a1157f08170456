using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>
/// Non-finite values are reported as such: the regularizer throws by default and skips the offending samples when
/// told to (<see cref="NonFiniteSamples.Skip"/>); the audit fails with a non_finite diagnosis naming the first layer.
/// </summary>
public class NonFiniteTests
{
    private static readonly long[] Image = { 1, 4, 4 };

    // A deterministic input transform (a horizontal flip of every sample), so two regularizers see the same values.
    private static EquivarianceTerm[] FlipInvariance => new[] { EquivarianceTerm.Invariant(new LambdaTransform("flip-all", x => x.flip(-1))) };

    private static Tensor Points()
    {
        using var g = new Generator(3);
        return rand(new long[] { 12, 1, 4, 4 }, generator: g);
    }

    // Rows whose first element or (after the flip) fourth element exceeds 0.5 give NaN in NaNAboveModel(0.5).
    private static long[] FiniteRows(Tensor points)
    {
        var v = points.data<float>().ToArray();
        return Enumerable.Range(0, (int)points.size(0)).Where(i => v[i * 16] <= 0.5 && v[i * 16 + 3] <= 0.5).Select(i => (long)i).ToArray();
    }

    [Test]
    public void Regularizer_ByDefault_ThrowsOnNonFiniteModelOutputs()
    {
        using var model = new NaNAboveModel(0.5);
        using var reg = new EquivarianceError(model, Image, FlipInvariance, options: new EquivarianceErrorOptions { Seed = 1 });
        using var points = Points();
        Assert.That(FiniteRows(points), Has.Length.LessThan(12), "the fixture must contain non-finite samples");
        var ex = Assert.Throws<InvalidOperationException>(() => reg.Estimate(points));
        Assert.That(ex!.Message, Does.Contain("NaN"));
    }

    [Test]
    public void Regularizer_WithSkip_DropsExactlyTheNonFiniteSamples_AndReportsHowMany()
    {
        using var model = new NaNAboveModel(0.5);
        using var skipping = new EquivarianceError(model, Image, FlipInvariance,
            options: new EquivarianceErrorOptions { Seed = 1, NonFiniteSamples = NonFiniteSamples.Skip });
        using var strict = new EquivarianceError(model, Image, FlipInvariance, options: new EquivarianceErrorOptions { Seed = 1 });
        using var points = Points();
        var keep = FiniteRows(points);
        Assert.That(keep, Has.Length.InRange(1, 11));

        using var estimate = skipping.Estimate(points);
        using var index = tensor(keep);
        using var finitePoints = points.index_select(0, index);
        using var expected = strict.call(finitePoints);

        Assert.That(estimate.Penalty.ToDouble(), Is.EqualTo(expected.ToDouble()), "the penalty is the one of the finite samples alone");
        Assert.That(estimate.Terms[0].Samples, Is.EqualTo(keep.Length));
        Assert.That(estimate.Terms[0].SkippedSamples, Is.EqualTo(12 - keep.Length));
        Assert.That(double.IsFinite(estimate.Terms[0].Error), Is.True);
    }

    [Test]
    public void Regularizer_WithSkip_GivesFiniteGradients()
    {
        using var model = new NaNAboveModel(0.5);
        using var reg = new EquivarianceError(model, Image, FlipInvariance,
            options: new EquivarianceErrorOptions { Seed = 1, NonFiniteSamples = NonFiniteSamples.Skip });
        using var points = Points();
        using var penalty = reg.call(points);
        penalty.backward();
        var grad = model.parameters().Single().grad!;
        Assert.That(grad.all_finite(), Is.True);
        Assert.That(grad.abs().ToDouble(), Is.GreaterThan(0));
    }

    [Test]
    public void Regularizer_WithSkip_WhenEverySampleIsNonFinite_Throws()
    {
        using var model = new NaNAboveModel(-1);
        using var reg = new EquivarianceError(model, Image, FlipInvariance, n: 4,
            options: new EquivarianceErrorOptions { Seed = 1, NonFiniteSamples = NonFiniteSamples.Skip });
        var ex = Assert.Throws<InvalidOperationException>(() => reg.call());
        Assert.That(ex!.Message, Does.Contain("every one of the 4 samples").IgnoreCase);
    }

    [Test]
    public void Regularizer_WithSkip_OnFiniteModel_MatchesTheDefault()
    {
        using var model = Cnns.NamedCnn(4);
        var spec = new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) };
        using var skipping = new EquivarianceError(model, Image, spec, n: 8, options: new EquivarianceErrorOptions { Seed = 9, NonFiniteSamples = NonFiniteSamples.Skip });
        using var strict = new EquivarianceError(model, Image, spec, n: 8, options: new EquivarianceErrorOptions { Seed = 9 });
        using var a = skipping.Estimate();
        using var b = strict.Estimate();
        Assert.That(a.Penalty.ToDouble(), Is.EqualTo(b.Penalty.ToDouble()));
        Assert.That(a.Terms[0].SkippedSamples, Is.Zero);
    }

    [Test]
    public void Audit_OfModelProducingNaN_Fails_WithNonFiniteDiagnosis_NamingTheFirstLayer()
    {
        using var model = FailureModes.NaNProducingCnn(2);
        var report = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = Image, Samples = 4, Seed = 1, Bounds = (-1, 1) });
        Assert.That(report.Verdict, Is.EqualTo(Verdict.Fail));
        var diagnosis = report.Diagnoses.Single(d => d.Kind == DiagnosisKind.NonFinite);
        Assert.That(diagnosis.Location, Is.EqualTo("log"));
        Assert.That(diagnosis.Evidence, Does.Contain("first layer"));
        var json = JsonReport.Render(report);
        Assert.That(json, Does.Contain("\"kind\": \"non_finite\"").And.Contain("\"verdict\": \"FAIL\""));
    }

    [Test]
    public void Audit_OfModelWithInfiniteOutputs_Fails_WithNonFiniteDiagnosis()
    {
        using var model = new ScaleModel(double.PositiveInfinity);
        var report = Auditor.Audit(model, Symmetry.Equivariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = Image, Samples = 4, Seed = 1 });
        Assert.That(report.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(report.Diagnoses.Select(d => d.Kind), Does.Contain(DiagnosisKind.NonFinite));
    }
}

/// <summary>Skipping non-finite samples also covers infinitesimal (Lie-derivative) terms.</summary>
public class NonFiniteInfinitesimalTests
{
    [Test]
    public void Regularizer_WithSkip_OnLieTerm_EqualsThePenaltyOfTheFiniteSamples()
    {
        var image = new long[] { 1, 4, 4 };
        var lie = new[] { EquivarianceTerm.Lie(TransformCatalogue.CreateContinuous("brightness")) };
        using var model = new NaNAboveModel(0.5);
        using var skipping = new EquivarianceError(model, image, lie, options: new EquivarianceErrorOptions { Seed = 1, NonFiniteSamples = NonFiniteSamples.Skip });
        using var strict = new EquivarianceError(model, image, lie, options: new EquivarianceErrorOptions { Seed = 1 });
        using var g = new Generator(5);
        using var points = rand(new long[] { 10, 1, 4, 4 }, generator: g);
        var v = points.data<float>().ToArray();
        var keep = Enumerable.Range(0, 10).Where(i => v[i * 16] <= 0.5).Select(i => (long)i).ToArray();
        Assert.That(keep, Has.Length.InRange(1, 9));

        using var estimate = skipping.Estimate(points);
        using var index = tensor(keep);
        using var finitePoints = points.index_select(0, index);
        using var expected = strict.call(finitePoints);
        Assert.That(estimate.Penalty.ToDouble(), Is.EqualTo(expected.ToDouble()));
        Assert.That(estimate.Terms[0].SkippedSamples, Is.EqualTo(10 - keep.Length));
    }

    [Test]
    public void Regularizer_ByDefault_OnLieTerm_ThrowsWhenModelOutputIsNaN_EvenIfItsTangentIsFinite()
    {
        // log(0.5 − x₀)·0 is NaN for x₀ > 0.5, yet its forward-mode tangent is 0·finite = 0.
        using var model = new NaNAboveModel(0.5);
        using var reg = new EquivarianceError(model, new long[] { 1, 4, 4 }, new[] { EquivarianceTerm.Lie(TransformCatalogue.CreateContinuous("brightness")) },
            options: new EquivarianceErrorOptions { Seed = 1 });
        using var points = full(new long[] { 2, 1, 4, 4 }, 0.9);
        var ex = Assert.Throws<InvalidOperationException>(() => reg.Estimate(points));
        Assert.That(ex!.Message, Does.Contain("model(v)").And.Contain("NaN"));
    }
}
