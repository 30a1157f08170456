using System.Diagnostics;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests.Hardening;

/// <summary>Thread behaviour of the binding (docs/threading.md).</summary>
public class ThreadingTests
{
    [Test]
    public void DualLevels_OnTwoThreads_TakeTurns_InsteadOfFailing()
    {
        // libtorch 1.13 keeps forward-AD levels process-wide: a second level open at the same time fails with
        // "Nested forward mode AD is not supported". The binding makes threads take turns.
        using var opened = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using var level = autograd.forward_ad.dual_level();
            opened.Set();
            Thread.Sleep(300);
        });
        holder.Start();
        opened.Wait();
        var clock = Stopwatch.StartNew();
        using (var mine = autograd.forward_ad.dual_level())
            Assert.That(clock.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(150), "waited for the other thread's level to close");
        holder.Join();
    }

    [Test]
    public void NestedDualLevel_OnTheSameThread_StillThrows_InsteadOfDeadlocking()
    {
        using var outer = autograd.forward_ad.dual_level();
        var ex = Assert.Throws<TorchException>(() => autograd.forward_ad.dual_level());
        Assert.That(ex!.Message, Does.Contain("Nested forward mode AD"));
    }

    [Test]
    public void Jvps_OnParallelThreads_EqualSequentialResults()
    {
        const int threads = 4, repeats = 25;
        static double[] Jvp(int k)
        {
            using var scope = NewDisposeScope();
            var x = arange(1, 7, dtype: ScalarType.Float64).reshape(2, 3) * (k + 1);
            var v = ones_like(x);
            var (_, jv) = autograd.jvp(t => (t * t).sin().sum(1), x, v);
            return jv.ToArrayDouble();
        }
        var sequential = Enumerable.Range(0, threads).Select(Jvp).ToArray();
        var results = new double[threads][];
        var errors = new Exception?[threads];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(k => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int r = 0; r < repeats; r++) results[k] = Jvp(k);
            }
            catch (Exception e)
            {
                errors[k] = e;
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        Assert.That(errors, Is.All.Null, () => string.Join("\n", errors.Where(e => e is not null)));
        for (int k = 0; k < threads; k++) Assert.That(results[k], Is.EqualTo(sequential[k]));
    }

    [Test]
    public void GradMode_IsPerThread()
    {
        using var disabled = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var other = new Thread(() =>
        {
            using (no_grad())
            {
                disabled.Set();
                release.Wait();
            }
        });
        other.Start();
        disabled.Wait();
        bool mine = is_grad_enabled();
        release.Set();
        other.Join();
        Assert.That(mine, Is.True, "no_grad on another thread leaves this thread recording");
    }
}

/// <summary>Different TorchScript modules loaded and run on parallel threads give the sequential results.</summary>
public class ScriptModuleThreadingTests
{
    private static readonly string[] Files =
    {
        Jit.JitFixtures.SmallCnnScripted, Jit.JitFixtures.SmallCnnTraced, Jit.JitFixtures.NestedScripted, Jit.JitFixtures.NestedTraced,
    };

    private static double[] LoadAndRun(int k)
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(Jit.JitFixtures.PathOf(Files[k]));
        model.eval();
        long side = Files[k].StartsWith("small", StringComparison.Ordinal) ? 8 : 6;
        using var g = new Generator((ulong)k);
        var x = randn(new long[] { 2, 1, side, side }, g);
        var (y, taps) = model.forward_with_taps(x);
        var values = y.ToArrayDouble().Concat(taps.SelectMany(t => t.Output.ToArrayDouble())).ToArray();
        foreach (var t in taps) t.Dispose();
        return values;
    }

    [Test]
    public void DifferentScriptModules_OnParallelThreads_EqualSequentialResults()
    {
        var sequential = Enumerable.Range(0, Files.Length).Select(LoadAndRun).ToArray();
        var results = new double[Files.Length][];
        var errors = new Exception?[Files.Length];
        using var start = new Barrier(Files.Length);
        var workers = Enumerable.Range(0, Files.Length).Select(k => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int r = 0; r < 5; r++) results[k] = LoadAndRun(k);
            }
            catch (Exception e)
            {
                errors[k] = e;
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        Assert.That(errors, Is.All.Null, () => string.Join("\n", errors.Where(e => e is not null)));
        for (int k = 0; k < Files.Length; k++) Assert.That(results[k], Is.EqualTo(sequential[k]), Files[k]);
    }
}
