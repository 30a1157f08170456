using System.Diagnostics;
using EquivarianceRegularizer.Torch.Tests.Support;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>A long training-style loop inside dispose scopes leaks neither native handles nor memory.</summary>
public class MemoryTests
{
    private static void Step(Tensor w, Tensor x)
    {
        using var scope = NewDisposeScope();
        var loss = x.matmul(w).tanh().sum() + (w * w).sum() * 0.01;
        loss.backward();
        using (no_grad()) w.sub_(w.grad!, 1e-4);
        w.zero_grad();
    }

    [Test]
    public void TwentyThousandSteps_OfOpsAndBackward_KeepHandlesFlatAndResidentMemoryWithinFivePercent()
    {
        var watch = Stopwatch.StartNew();
        using var owner = NewDisposeScope();
        var w = GradCheck.Smooth(new long[] { 4, 3 }).requires_grad_();
        var x = GradCheck.Smooth(new long[] { 2, 4 }, seed: 2);

        // Warm-up: until the managed heap has gone through two gen-0 collections its budget is still growing
        // (measured: VmRSS rises for ~15,000 steps, then stays flat to 100,000 steps).
        int gen0 = GC.CollectionCount(0);
        for (int i = 0; i < 2000 || (GC.CollectionCount(0) < gen0 + 2 && i < 60000); i++) Step(w, x);
        long handles = Handles.SettledCount();
        long rssAfterWarmUp = Handles.ResidentKilobytes();

        var counts = new List<long>();
        for (int i = 1; i <= 20000; i++)
        {
            Step(w, x);
            if (i % 5000 == 0) counts.Add(Tensor.LiveHandleCount);
        }
        long rssAfter = Handles.ResidentKilobytes();
        Handles.SettledCount();
        long rssAfterGc = Handles.ResidentKilobytes();

        Assert.That(counts, Is.All.EqualTo(handles), "live native handles stay flat during the loop");
        double growth = (Math.Min(rssAfter, rssAfterGc) - rssAfterWarmUp) / (double)rssAfterWarmUp;
        Assert.That(growth, Is.LessThan(0.05), $"VmRSS {rssAfterWarmUp} kB after warm-up, {rssAfter} kB after 20,000 steps");
        Assert.That(w.all_finite(), Is.True);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
        TestContext.Out.WriteLine($"20,000 steps: VmRSS {rssAfterWarmUp} kB after warm-up -> {rssAfter} kB ({rssAfterGc} kB after a full GC), growth {growth:P2}, {watch.Elapsed.TotalSeconds:F1} s");
    }
}

