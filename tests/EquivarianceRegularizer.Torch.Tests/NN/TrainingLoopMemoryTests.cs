using System.Diagnostics;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests.NN;

/// <summary>
/// The leak check: a long training loop written the way users write it (a dispose scope per step) must keep
/// the number of live native tensors exactly flat and resident memory essentially flat.
/// </summary>
public class TrainingLoopMemoryTests
{
    // Warm-up covers tiered JIT promotion of the hot path and the native allocator reaching its steady state
    // (measured: RSS is flat from about 5,000 steps on, up to 100,000).
    private const int WarmUpSteps = 5_000;
    private const int TotalSteps = 20_000;

    private static long ResidentKiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("/proc/self/status has no VmRSS line.");
    }

    private static long SettledResidentKiB()
    {
        // Settle the managed heap and have the GC give its free segments back to the OS, so the figure reflects native
        // memory and live managed data rather than how much gen-0 budget the GC happened to keep committed.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return ResidentKiB();
    }

    [Test]
    public void AdamTrainingLoop_Of20000Steps_KeepsHandlesFlatAndResidentMemoryWithin5Percent()
    {
        using var g = new Generator(11);
        using var model = nn.Sequential(nn.Linear(8, 16, generator: g), nn.ReLU(), nn.Linear(16, 1, generator: g));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        using var criterion = nn.MSELoss();

        long handleBaseline = -1, rssAfterWarmUp = 0, maxHandleDrift = 0;
        double firstLosses = 0, lastLosses = 0;
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < TotalSteps; step++)
        {
            using (NewDisposeScope())
            {
                // A fresh batch every step; the target (the sum of the inputs) is learnable by the MLP.
                var x = randn(new long[] { 4, 8 }, g);
                var y = x.sum(1, keepdim: true);
                optimizer.zero_grad();
                var loss = criterion.call(model.call(x), y);
                loss.backward();
                optimizer.step();
                if (step < 100) firstLosses += loss.item();
                if (step >= TotalSteps - 100) lastLosses += loss.item();
            }
            if (step == WarmUpSteps - 1)
            {
                // Settle first: tensors that earlier tests left to the finalizer must not be counted as drift here.
                rssAfterWarmUp = SettledResidentKiB();
                handleBaseline = Tensor.LiveHandleCount;
            }
            else if (step >= WarmUpSteps)
            {
                maxHandleDrift = Math.Max(maxHandleDrift, Math.Abs(Tensor.LiveHandleCount - handleBaseline));
            }
        }
        clock.Stop();
        long rssEnd = SettledResidentKiB();
        long handlesEnd = Tensor.LiveHandleCount;
        double growth = (rssEnd - rssAfterWarmUp) / (double)rssAfterWarmUp;

        TestContext.Out.WriteLine($"steps {TotalSteps} in {clock.Elapsed.TotalSeconds:F1} s ({clock.Elapsed.TotalMilliseconds * 1000 / TotalSteps:F0} µs/step)");
        TestContext.Out.WriteLine($"live handles after warm-up {handleBaseline}, at end {handlesEnd}, max drift after warm-up {maxHandleDrift}");
        TestContext.Out.WriteLine($"VmRSS after warm-up {rssAfterWarmUp} KiB, at end {rssEnd} KiB, growth {growth:P2}");
        TestContext.Out.WriteLine($"mean loss of the first 100 steps {firstLosses / 100:G4}, of the last 100 {lastLosses / 100:G4}");

        Assert.That(maxHandleDrift, Is.EqualTo(0), "live native tensors changed after warm-up");
        Assert.That(handlesEnd, Is.EqualTo(handleBaseline));
        Assert.That(growth, Is.LessThan(0.05), "resident memory grew by 5% or more after warm-up");
        Assert.That(lastLosses, Is.LessThan(firstLosses / 10), "the loop really trained");
    }
}
