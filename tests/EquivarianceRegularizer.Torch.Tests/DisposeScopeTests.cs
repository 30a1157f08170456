using EquivarianceRegularizer.Torch.Tests.Support;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>Dispose scopes: nesting, MoveToOuter, Detach, per-thread isolation, and the live-handle count.</summary>
public class DisposeScopeTests
{
    [Test]
    public void Scope_DisposesEveryTensorCreatedInIt_AndHandleCountReturnsToBaseline()
    {
        long before = Handles.SettledCount();
        Tensor a, b;
        using (var scope = NewDisposeScope())
        {
            a = ones(3, 3);
            b = (a * 2).sum();
            Assert.That(scope.Count, Is.EqualTo(3));
            Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before + 3));
        }
        Assert.That(a.IsInvalid && b.IsInvalid, Is.True);
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void NestedScopes_InnerDisposalKeepsOuterTensors()
    {
        long before = Handles.SettledCount();
        using (var outer = NewDisposeScope())
        {
            var kept = ones(2);
            Tensor inner;
            using (var innerScope = NewDisposeScope())
            {
                Assert.That(DisposeScope.Current, Is.SameAs(innerScope));
                Assert.That(innerScope.Outer, Is.SameAs(outer));
                inner = kept + 1;
                Assert.That(outer.Count, Is.EqualTo(1));
                Assert.That(innerScope.Count, Is.EqualTo(1));
            }
            Assert.That(DisposeScope.Current, Is.SameAs(outer));
            Assert.That(inner.IsInvalid, Is.True);
            Assert.That(kept.IsInvalid, Is.False);
            Assert.That(kept.sum().item(), Is.EqualTo(2));
        }
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void MoveToOuterDisposeScope_SurvivesInnerScope_AndDiesWithOuter()
    {
        long before = Handles.SettledCount();
        Tensor result;
        using (var outer = NewDisposeScope())
        {
            using (NewDisposeScope())
            {
                var tmp = ones(4) * 3;
                result = tmp.sum().MoveToOuterDisposeScope();
            }
            Assert.That(result.IsInvalid, Is.False);
            Assert.That(result.item(), Is.EqualTo(12));
            Assert.That(outer.Count, Is.EqualTo(1));
        }
        Assert.That(result.IsInvalid, Is.True);
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void MoveToOuterDisposeScope_WithoutOuterScope_HandsOwnershipToTheCaller()
    {
        long before = Handles.SettledCount();
        Tensor owned;
        using (NewDisposeScope()) owned = ones(2).MoveToOuterDisposeScope();
        Assert.That(owned.IsInvalid, Is.False);
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before + 1));
        owned.Dispose();
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void DetachFromDisposeScope_SurvivesEveryScope_UntilDisposed()
    {
        long before = Handles.SettledCount();
        Tensor detached;
        using (NewDisposeScope())
        {
            using (var inner = NewDisposeScope())
            {
                detached = zeros(5).DetachFromDisposeScope();
                Assert.That(inner.Count, Is.EqualTo(0));
            }
        }
        Assert.That(detached.IsInvalid, Is.False);
        Assert.That(detached.numel(), Is.EqualTo(5));
        detached.Dispose();
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void ExplicitDispose_InsideScope_RemovesTheTensor_AndDoubleDisposeIsHarmless()
    {
        long before = Handles.SettledCount();
        using (var scope = NewDisposeScope())
        {
            var t = ones(2);
            t.Dispose();
            t.Dispose();
            Assert.That(scope.Count, Is.EqualTo(0));
            Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
        }
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void TensorsOutsideAnyScope_AreNotCaptured()
    {
        Assert.That(DisposeScope.Current, Is.Null);
        var t = ones(2);
        using (NewDisposeScope()) { }
        Assert.That(t.IsInvalid, Is.False);
        t.Dispose();
    }

    [Test]
    public void ScopeOnOneThread_DoesNotCaptureTensorsOfAnotherThread()
    {
        long before = Handles.SettledCount();
        Tensor? fromOtherThread = null;
        DisposeScope? currentOnOtherThread = null;
        using (var scope = NewDisposeScope())
        {
            var mine = ones(2);
            var thread = new Thread(() =>
            {
                currentOnOtherThread = DisposeScope.Current;
                fromOtherThread = ones(3);
            });
            thread.Start();
            thread.Join();
            Assert.That(currentOnOtherThread, Is.Null, "the other thread sees no scope");
            Assert.That(scope.Count, Is.EqualTo(1), "only this thread's tensor joined");
        }
        Assert.That(fromOtherThread!.IsInvalid, Is.False, "the other thread's tensor survives this thread's scope");
        fromOtherThread.Dispose();
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void ScopesOnParallelThreads_AreIndependent()
    {
        long before = Handles.SettledCount();
        var counts = new int[4];
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, 4).Select(k => new Thread(() =>
        {
            try
            {
                for (int round = 0; round < 200; round++)
                {
                    using var scope = NewDisposeScope();
                    var x = full(new long[] { 8 }, k, float64);
                    var y = (x * x + 1).sum();
                    if (y.item() != 8 * (k * k + 1)) throw new InvalidOperationException($"thread {k}: wrong value {y.item()}");
                    counts[k] = scope.Count;
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.That(errors, Is.Empty);
        Assert.That(counts, Is.All.EqualTo(4), "each scope holds exactly its own thread's four tensors");
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void ViewsAndMultiOutputOps_AreEachOwnedAndReleased()
    {
        long before = Handles.SettledCount();
        using (NewDisposeScope())
        {
            var x = arange(12, float64).reshape(3, 4);
            var parts = x.chunk(2, 1);
            var (values, indices) = x.max(1);
            var grads = autograd.grad(new[] { (x.requires_grad_() * 2).sum() }, new[] { x });
            Assert.That(parts, Has.Length.EqualTo(2));
            Assert.That(indices.data<long>(), Is.All.EqualTo(3L));
            Assert.That(values.shape, Is.EqualTo(new long[] { 3 }));
            Assert.That(grads[0]!.sum().item(), Is.EqualTo(24));
        }
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void AbandonedUnscopedTensor_IsReleasedByTheGarbageCollector()
    {
        long before = Handles.SettledCount();
        CreateAndDrop(50);
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before + 100), "50 × (ones, product), none disposed yet");
        Assert.That(Handles.SettledCount(), Is.EqualTo(before), "the last-resort guard released every dropped tensor");
    }

    [Test]
    public void DetachedOrMovedOutTensor_DroppedWithoutDispose_IsStillReleasedByTheGarbageCollector()
    {
        long before = Handles.SettledCount();
        DetachAndDrop();
        Assert.That(Handles.SettledCount(), Is.EqualTo(before));
    }

    [Test]
    public void ManyTensorsDisposedOutOfOrder_InOneScope_AreTrackedExactly()
    {
        long before = Handles.SettledCount();
        using (var scope = NewDisposeScope())
        {
            var ts = Enumerable.Range(0, 100).Select(i => full(new long[] { 1 }, i)).ToList();
            for (int i = 0; i < 100; i += 2) ts[i].Dispose();
            Assert.That(scope.Count, Is.EqualTo(50));
            var more = Enumerable.Range(0, 100).Select(i => zeros(1)).ToList();
            Assert.That(scope.Count, Is.EqualTo(150));
            Assert.That(ts[99].item(), Is.EqualTo(99), "surviving tensors keep their values across compaction");
            ts[99].MoveToOuterDisposeScope().Dispose();
            Assert.That(scope.Count, Is.EqualTo(149));
            Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before + 149));
        }
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void CreateAndDrop(int n)
    {
        for (int i = 0; i < n; i++) _ = ones(2) * 3;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void DetachAndDrop()
    {
        using var scope = NewDisposeScope();
        _ = ones(2).DetachFromDisposeScope();
        using (NewDisposeScope()) { }
        var outer = DisposeScope.Current!;
        Assert.That(outer, Is.SameAs(scope));
        _ = ones(3).MoveToOuterDisposeScope();
        Assert.That(scope.Count, Is.EqualTo(0));
    }
}
