using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Audit;

/// <summary>
/// A TorchSharp model with custom forward code around nn.MultiheadAttention, whose forward takes six arguments and
/// returns a tuple (issue 11, item 4): the audit must not fail on that layer's output structure.
/// </summary>
public class AttentionModelAuditTests
{
    /// <summary>Tokens (N, L, E) → self-attention without positional encoding → mean over tokens → head: invariant to token order.</summary>
    private sealed class TokenSetAttention : nn.Module<Tensor, Tensor>
    {
        private readonly MultiheadAttention attention;
        private readonly TorchSharp.Modules.Linear head;

        public TokenSetAttention() : base(nameof(TokenSetAttention))
        {
            using var g = new Generator(5);
            attention = nn.MultiheadAttention(8, 2).Seeded(g);
            head = nn.Linear(8, 3).Seeded(g);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var seqFirst = x.transpose(0, 1);
            var (attended, _) = attention.call(seqFirst, seqFirst, seqFirst, null, false, null);
            return head.call(attended.transpose(0, 1).mean(new long[] { 1 })).MoveToOuterDisposeScope();
        }
    }

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
