using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Tests.Hardening;
using EquivarianceRegularizer.Transforms;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Evaluation;

/// <summary>One regularizer, or guards of one model, used by several threads at once leave BatchNorm as it was.</summary>
public class NormStatisticsGuardConcurrencyTests
{
    [Test]
    public void SharedRegularizer_OnThreads_LeavesMomentumBatchCountAndStatistics([Values(1, 2, 3)] int trial)
    {
        using var model = Cnns.BatchNormMaxPoolCnn();
        using (var warm = NewDisposeScope()) model.call(rand(4, 1, 12, 12));
        var bns = model.modules().OfType<BatchNorm>().ToList();
        Assert.That(bns, Is.Not.Empty);
        var before = model.named_buffers().Select(b => (b.name, value: b.buffer.clone())).ToList();
        using var reg = new EquivarianceError(model, new long[] { 1, 12, 12 }, new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) },
            dist: Distance.L2, n: 8, options: new EquivarianceErrorOptions { Seed = (ulong)trial });

        ConcurrencyTests.RunOnThreads(4, k =>
        {
            for (int step = 0; step < 10; step++)
            {
                using var _ = NewDisposeScope();
                using var x = rand(4, 1, 12, 12);
                reg.call(x).backward();
            }
            return "";
        });

        Assert.That(bns.Select(b => b.momentum), Is.All.EqualTo(0.1), "momentum restored on every layer");
        foreach (var (name, value) in before)
            Assert.That(Same(model.named_buffers().Single(b => b.name == name).buffer, value), Is.True, name);
        Assert.That(model.modules().All(m => m.training), Is.True, "training flags restored");
        foreach (var (_, value) in before) value.Dispose();
    }

    [Test]
    public void OverlappingGuards_InEvalMode_RestoreFlagsOnlyWhenTheLastLeaves()
    {
        using var model = Cnns.BatchNormMaxPoolCnn();
        var bn = model.modules().OfType<BatchNorm>().First();
        var first = new NormStatisticsGuard(model, NormLayerMode.Eval);
        var second = new NormStatisticsGuard(model, NormLayerMode.Eval);
        Assert.That(second.GuardedCount, Is.EqualTo(first.GuardedCount));
        first.Dispose();
        Assert.That(bn.training, Is.False, "still held by the second guard");
        second.Dispose();
        Assert.That(bn.training, Is.True);

        var a = new NormStatisticsGuard(model);
        var b = new NormStatisticsGuard(model);
        a.Dispose();
        Assert.That(bn.momentum, Is.EqualTo(0.0), "still held by the second guard");
        b.Dispose();
        Assert.That(bn.momentum, Is.EqualTo(0.1));
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();
}
