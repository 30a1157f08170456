using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>The audit's end-to-end pass runs through the shared evaluation (Evaluation/EquivarianceEvaluator).</summary>
public class AuditEvaluationSeamTests
{
    private static AuditOptions Image(int samples = 6) => new() { InputShape = new long[] { 1, 10, 10 }, Samples = samples, Layers = false };

    [Test]
    public void ModelWithAFixedBatchSize_IsStillAudited_OneElementAtATime()
    {
        // The model's code reshapes to exactly 6 rows: the evaluation's concatenated batch (3 turns × 6) cannot go through,
        // so the audit falls back to one forward per element and still finds the model invariant.
        using var model = nn.Sequential(new Fn("FixedBatch", x => x.reshape(6, -1).mean(new long[] { 1 }, keepdim: true)));
        var r = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()), Image());
        Assert.That(r.EndToEnd, Is.Not.Null, string.Join("; ", r.Notes) + " / " + string.Join("; ", r.Reasons) + " / " + string.Join("; ", r.Diagnoses.Select(d => d.Evidence)));
        Assert.That(r.EndToEnd!.Elements, Is.EqualTo(3));
        Assert.That(r.EndToEnd.Relative.Max, Is.LessThan(1e-6));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Pass));
    }

    [Test]
    public void EndToEndErrors_AreTheEvaluationsDistances_ForAnExactlyMeasurableModel()
    {
        // f(x) = x (identity): f(T x) − T f(x) = 0 for an equivariant output action; against a mismatched C4 action
        // (rotation the other way) the error of a half turn is 0 and of a quarter turn is large.
        using var model = nn.Sequential(new Fn("Copy", x => x * 1.0));
        var ok = Auditor.Audit(model, Symmetry.Equivariant(new RotationByQuarterTurns()), Image());
        Assert.That(ok.EndToEnd!.Absolute.Max, Is.EqualTo(0));
        var wrong = Auditor.Audit(model, new Symmetry(new RotationByQuarterTurns(), new RotationByQuarterTurns(-1, -2)), Image());
        Assert.That(wrong.EndToEnd!.Relative.Max, Is.GreaterThan(0.1));
        Assert.That(wrong.EndToEnd.Relative.Min, Is.EqualTo(0), "the half turn is its own inverse");
        Assert.That(wrong.Verdict, Is.EqualTo(Verdict.Fail));
    }

    [Test]
    public void LayerActionOverride_BySymmetry_IsTheActionOnThatLayer()
    {
        using var model = Cnns.InvariantCnn();
        var rot = new RotationByQuarterTurns();
        var options = Image() with { Layers = true, LayerActions = new Dictionary<string, LayerActionOverride> { ["1"] = LayerActionOverride.By(Symmetry.Invariant(rot)) } };
        var r = Auditor.Audit(model, Symmetry.Invariant(rot), options);
        var relu = r.Layers.Single(l => l.Name == "1");
        Assert.That(relu.OutputAction, Is.EqualTo("invariant"), "the override's trivial output action");
        Assert.That(relu.NotTestableReason, Is.Null);
        Assert.That(() => LayerActionOverride.NotTestable(""), Throws.ArgumentException);
    }
}
