using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>
/// A TorchSharp model with custom forward code around nn.MultiheadAttention, whose forward takes six arguments and
/// returns a tuple: the audit must not fail on that layer's output structure.
/// </summary>
public class AttentionModelAuditTests
{
    [Test]
    public void SelfAttentionOverTokens_UnderTokenPermutation_Passes_AndTheAttentionLayerIsReportedNotFailed()
    {
        using var model = new TokenSetAttention();
        var report = Auditor.Audit(model, Symmetry.Invariant(new Permutation(6)),
            new AuditOptions { InputShape = new long[] { 6, 8 }, Samples = 8, Bounds = (-1, 1) });
        Assert.That(report.Verdict, Is.EqualTo(Verdict.Pass), string.Join("; ", report.Reasons));
        var attentionLayer = report.Layers.Single(l => l.Name == "attention");
        Assert.That(attentionLayer.Tested, Is.False);
        Assert.That(attentionLayer.NotTestableReason, Does.Contain("not a single tensor"));
        Assert.That(report.Layers.Single(l => l.Name == "head").Tested, Is.True);
    }
}
