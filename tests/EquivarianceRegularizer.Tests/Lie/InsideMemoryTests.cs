using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

/// <summary>
/// A call that holds far more inside itself than it takes in and gives out (attention over every pixel: an (H·W)² weight
/// matrix) is counted when the samples are chunked under the memory budget.
/// </summary>
public class InsideMemoryTests
{
    /// <summary>A 1×1 conv, then attention of every pixel over every pixel inside one module, then a 1×1 conv.</summary>
    private sealed class PixelAttention : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1 = nn.Conv2d(1, 2, 1);
        private readonly PixelMixer mix = new();
        private readonly Conv2d conv2 = nn.Conv2d(2, 1, 1);

        public PixelAttention() : base(nameof(PixelAttention)) => RegisterComponents();

        public override Tensor forward(Tensor x) => conv2.call(mix.call(conv1.call(x)));
    }

    private sealed class PixelMixer : nn.Module<Tensor, Tensor>
    {
        public PixelMixer() : base(nameof(PixelMixer)) { }

        public override Tensor forward(Tensor x)
        {
            var tokens = x.flatten(2);                                             // N × C × HW
            var weights = tokens.transpose(1, 2).matmul(tokens).softmax(-1);       // N × HW × HW, kept for the backward
            return tokens.matmul(weights).view_as(x);
        }
    }

    [Test]
    public void GraphBytesOfOneSample_SeesTheWeightsInsideTheCall()
    {
        using var scope = NewDisposeScope();
        using var model = new PixelAttention();
        model.eval();
        var observed = ObservedModel.Of(model);
        // 64×64 pixels: a 4,096 × 4,096 float32 weight matrix is 64 MiB; the calls' inputs and outputs are 80 KiB.
        var x = rand(2, 1, 64, 64);
        long graph = observed.GraphBytesOfOneSample(x);
        Assert.That(graph, Is.GreaterThan(48L << 20), "the softmax's 64 MiB output is saved for the backward");
    }

    [Test]
    public void Audit_UnderABudget_RunsTheSamplesInPieces_WithTheSameErrors()
    {
        using var scope = NewDisposeScope();
        using var model = new PixelAttention();
        model.eval();
        var x = rand(4, 1, 64, 64, dtype: ScalarType.Float64);
        // Pointwise convs and attention over all pixels turn with the image; a feature map is not invariant: errors of O(1).
        var spec = Symmetry.Invariant(new RotationByQuarterTurns());
        AuditReport Run(long budget) => Auditor.Audit(model, spec, new AuditOptions { Inputs = x, Layers = true, MemoryBudgetBytes = budget });
        var tight = Run(256L << 20);
        var loose = Run(16L << 30);
        // 4 samples × 4 quarter turns hold about 1 GiB of attention weights at once; under 256 MiB they run in pieces.
        Assert.That(tight.Notes, Has.Some.Contains("more inside the layers"));
        Assert.That(tight.EndToEnd!.Relative.Max, Is.EqualTo(loose.EndToEnd!.Relative.Max).Within(1e-5 * loose.EndToEnd.Relative.Max));
        Assert.That(tight.EndToEnd.Relative.Mean, Is.EqualTo(loose.EndToEnd.Relative.Mean).Within(1e-5 * loose.EndToEnd.Relative.Mean));
        Assert.That(tight.EndToEnd.Relative.Max, Is.GreaterThan(1e-2));
    }

    [Test]
    public void Attribution_UnderABudget_ChunksBySamplesTheInsideMemoryFits()
    {
        using var scope = NewDisposeScope();
        using var model = new PixelAttention();
        model.eval();
        var x = rand(2, 1, 64, 64);
        var report = ModelLieAttribution.Measure(model, x, new TranslationX(), new LieOptions { MemoryBudgetBytes = 256L << 20 });
        // Two samples hold at least 2 × 3 × 64 MiB in the pushes: they are attributed one at a time, and the note says
        // why (counted by the calls' inputs and outputs alone, 2 samples take about 2 MiB and would run together).
        Assert.That(report.Notes, Has.Some.Contains("Samples were attributed in chunks of at most 1").And.Contains("more inside the calls"));
        Assert.That(report.Total.Value, Is.GreaterThan(0));
        Assert.That(report.SumRelativeResidual, Is.LessThan(1e-3));
    }
}
