using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>Layers judged by what they are: containers by what is inside them, composites by their own code, downsampling by its grid.</summary>
public class LayerJudgementTests
{
    private static readonly Symmetry Rot90Invariant = Symmetry.Invariant(new RotationByQuarterTurns());

    private static AuditOptions Image(long size = 12) => new() { InputShape = new long[] { 1, size, size }, Samples = 4 };

    /// <summary>A head whose own forward flattens the map before its Linear: its code breaks rotation invariance, its child does not.</summary>
    private sealed class FlattenHead : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc;

        public FlattenHead(long features, Generator g) : base("FlattenHead")
        {
            fc = Layers.Linear(features, 3, g);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.call(input.flatten(1));
    }

    [Test]
    public void Composite_WhoseOwnCodeBreaksTheSymmetry_IsTheFirstFailingLayer()
    {
        using var g = new Generator(4);
        using var model = nn.Sequential(("features", Layers.Conv(1, 2, 3, g, symmetric: true)), ("head", new FlattenHead(2 * 12 * 12, g)));
        var r = Auditor.Audit(model, Rot90Invariant, Image());
        var head = r.Layers.Single(l => l.Name == "head");
        Assert.That(r.Layers.Single(l => l.Name == "head.fc").VerdictText, Is.EqualTo("PASS"), ReportText.Render(r));
        Assert.That(head.IsContainer && head.BreaksInOwnCode, Is.True, ReportText.Render(r));
        Assert.That(head.VerdictText, Is.EqualTo("FAIL"));
        Assert.That(r.FirstFailingLayer, Is.EqualTo("head"), ReportText.Render(r));
        Assert.That(r.Diagnoses.Select(d => d.Location), Has.Some.EqualTo("head"));
        Assert.That(ReportText.Render(r), Does.Contain("Its own forward code breaks the symmetry"));
    }

    [Test]
    public void Sequential_IsJudgedByItsModules_NeverPassWhileOneFails()
    {
        using var g = new Generator(5);
        using var model = nn.Sequential(
            ("features", nn.Sequential(("0", Layers.Conv(1, 2, 3, g, symmetric: true)), ("1", Layers.Relu()), ("2", Layers.Conv(2, 2, 3, g, symmetric: false)))),
            ("pool", Layers.GlobalAvgPool()), ("fc", Layers.Linear(2, 3, g)));
        var r = Auditor.Audit(model, Rot90Invariant, Image());
        var features = r.Layers.Single(l => l.Name == "features");
        Assert.That(r.Layers.Single(l => l.Name == "features.2").VerdictText, Is.EqualTo("FAIL"), ReportText.Render(r));
        Assert.That(features.VerdictText, Is.EqualTo("FAIL"), ReportText.Render(r));
        Assert.That(features.Method, Is.EqualTo("children"));
        Assert.That(features.JudgedBy, Is.EqualTo("features.2"));
        Assert.That(features.BreaksInOwnCode, Is.False);
        Assert.That(r.FirstFailingLayer, Is.EqualTo("features.2"));
        Assert.That(LayerViews.Ranked(r.Layers).Select(l => l.Name), Has.None.EqualTo("features"), "the ranked view lists the module, not its container again");
    }

    [Test]
    public void PatchEmbedding_WhoseGridQuarterTurnsMapToItself_IsNoDownsampling_WhileAStride2ConvOnAnEvenMapIs()
    {
        using var g = new Generator(6);
        // Kernel = stride = 4, no padding, on 16×16: window centres 1.5, 5.5, 9.5, 13.5 mirror each other.
        using var patch = nn.Sequential(("patch", Layers.Conv(1, 2, 4, g, symmetric: false, stride: 4, padding: 0)), ("pool", Layers.GlobalAvgPool()));
        var r = Auditor.Audit(patch, Rot90Invariant, Image(16));
        var p = r.Layers.Single(l => l.Name == "patch");
        Assert.That(p.SamplingGridMapped, Is.True, ReportText.Render(r));
        Assert.That(r.Diagnoses.Where(d => d.Location == "patch").Select(d => d.Kind), Has.None.EqualTo(DiagnosisKind.Downsampling), ReportText.Render(r));
        Assert.That(r.Diagnoses.Where(d => d.Location == "patch").Select(d => d.Kind), Has.Some.EqualTo(DiagnosisKind.CustomLayer), "its unconstrained weights break it");

        // 3×3, stride 2, padding 1 on 16×16: centres 0, 2, …, 14 — a quarter turn sends them to 15, 13, …, 1.
        using var strided = nn.Sequential(("down", Layers.Conv(1, 2, 3, g, symmetric: true, stride: 2, padding: 1)), ("pool", Layers.GlobalAvgPool()));
        var s = Auditor.Audit(strided, Rot90Invariant, Image(16));
        var d = s.Layers.Single(l => l.Name == "down");
        Assert.That(d.SamplingGridMapped, Is.False, ReportText.Render(s));
        Assert.That(s.Diagnoses.Where(x => x.Location == "down").Select(x => x.Kind), Has.Some.EqualTo(DiagnosisKind.Downsampling), ReportText.Render(s));
    }

    [TestCase(4, 4, 0, 16, true)]    // patchify: centres 1.5 … 13.5
    [TestCase(3, 2, 1, 16, false)]   // centres 0 … 14 on an even size
    [TestCase(3, 2, 1, 15, true)]    // centres 0 … 14 on 15: mirrored
    [TestCase(1, 2, 0, 16, false)]   // a 1×1 stride-2 shortcut on an even size
    public void SamplingGrid_IsReadFromWhereTheFirstAndLastOutputsLook(int kernel, int stride, int padding, int size, bool mapped)
    {
        using var conv = nn.Conv2d(2, 3, kernel, stride: stride, padding: padding);
        using var input = rand(2, 2, size, size);
        Assert.That(EquivarianceRegularizer.Audit.Phases.LayerPhase.SamplingGridMapped(conv.forward, input), Is.EqualTo(mapped));
    }

    [Test]
    public void SamplingGrid_OfAMaxPool_IsTheUnionOfItsWindows()
    {
        using var pool = nn.MaxPool2d(3, stride: 2, padding: 1);
        using var even = rand(2, 4, 16, 16);
        using var odd = rand(2, 4, 15, 15);
        Assert.That(EquivarianceRegularizer.Audit.Phases.LayerPhase.SamplingGridMapped(pool.forward, even), Is.False);
        Assert.That(EquivarianceRegularizer.Audit.Phases.LayerPhase.SamplingGridMapped(pool.forward, odd), Is.True);
    }
}
