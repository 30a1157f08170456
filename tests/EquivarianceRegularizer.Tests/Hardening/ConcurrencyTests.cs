using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>
/// Audits and regularizers of different models on parallel threads give results identical to sequential runs
/// (docs/threading.md: one model, regularizer or generator per thread; grad mode and dispose scopes are per thread).
/// </summary>
public class ConcurrencyTests
{
    private static readonly IGroupTransform[] Transforms =
    {
        new RotationByQuarterTurns(), Flip.Horizontal(), new DihedralTransform(), TransformCatalogue.CreateContinuous("rotate"),
    };

    private static string Audit(int k)
    {
        using var model = Cnns.NamedCnn((ulong)(20 + k));
        return DeterminismTests.WithoutTiming(DeterminismTests.AuditJson(model, (ulong)k, Transforms[k % Transforms.Length]));
    }

    internal static string[] RunOnThreads(int count, Func<int, string> work)
    {
        var results = new string[count];
        var errors = new Exception?[count];
        using var start = new Barrier(count);
        var threads = Enumerable.Range(0, count).Select(k => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                results[k] = work(k);
            }
            catch (Exception e)
            {
                errors[k] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(errors, Is.All.Null, () => string.Join("\n", errors.Where(e => e is not null)));
        return results;
    }

    [Test]
    public void Audits_OfDifferentModels_OnParallelThreads_EqualSequentialRuns()
    {
        const int count = 4;
        var sequential = Enumerable.Range(0, count).Select(Audit).ToArray();
        var parallel = RunOnThreads(count, Audit);
        for (int k = 0; k < count; k++) Assert.That(parallel[k], Is.EqualTo(sequential[k]), $"audit {k}");
        Assert.That(sequential.Distinct().Count(), Is.EqualTo(count), "the audits differ from each other, so a mix-up would show");
    }

    [Test]
    public void TrainingLoops_OnParallelThreads_EqualSequentialRuns_Bitwise()
    {
        const int count = 3;
        string Run(int k) => string.Join(",", DeterminismTests.Bits(DeterminismTests.TrainingLosses((ulong)(30 + k), steps: 20)));
        var sequential = Enumerable.Range(0, count).Select(Run).ToArray();
        var parallel = RunOnThreads(count, Run);
        Assert.That(parallel, Is.EqualTo(sequential));
    }

    [Test]
    public void GradMode_IsPerThread_NoGradOnOneThreadLeavesAnotherRecording()
    {
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool otherThreadRecords = false, otherThreadEnabled = false;
        var noGradThread = new Thread(() =>
        {
            using (no_grad())
            {
                inside.Set();
                release.Wait();
            }
        });
        noGradThread.Start();
        inside.Wait();
        var recorder = new Thread(() =>
        {
            otherThreadEnabled = is_grad_enabled();
            using var scope = NewDisposeScope();
            var w = ones(new long[] { 3 }, requires_grad: true);
            otherThreadRecords = (w * 2).requires_grad;
        });
        recorder.Start();
        recorder.Join();
        release.Set();
        noGradThread.Join();
        Assert.That(otherThreadEnabled, Is.True);
        Assert.That(otherThreadRecords, Is.True);
    }

    [Test]
    public void DisposeScope_IsPerThread_AnotherThreadsTensorsSurviveMyScope()
    {
        Tensor? made = null;
        using (NewDisposeScope())
        {
            var t = new Thread(() => made = ones(2, 2));
            t.Start();
            t.Join();
        }
        Assert.That(made, Is.Not.Null);
        Assert.That(made!.IsInvalid, Is.False, "my scope must not dispose a tensor another thread made");
        using (var sum = made.sum()) Assert.That(sum.ToDouble(), Is.EqualTo(4.0));
        made.Dispose();
    }
}

/// <summary>Lie derivatives (forward-mode AD) on parallel threads.</summary>
public class ForwardModeConcurrencyTests
{
    private static string Lee(int k)
    {
        using var model = Cnns.NamedCnn((ulong)(40 + k));
        using var g = new Generator((ulong)k);
        using var x = rand(new long[] { 4, 1, 8, 8 }, generator: g);
        var result = EquivarianceRegularizer.Lie.LocalEquivarianceError.Measure(model.call, x, TransformCatalogue.CreateContinuous(k % 2 == 0 ? "rotate" : "translate-x"));
        return string.Join(",", DeterminismTests.Bits(result.PerSample));
    }

    [Test]
    public void LieDerivatives_OnParallelThreads_EqualSequentialRuns()
    {
        const int count = 4;
        var sequential = Enumerable.Range(0, count).Select(Lee).ToArray();
        var results = ConcurrencyTests.RunOnThreads(count, k =>
        {
            string last = "";
            for (int r = 0; r < 5; r++) last = Lee(k);
            return last;
        });
        Assert.That(results, Is.EqualTo(sequential));
    }
}
