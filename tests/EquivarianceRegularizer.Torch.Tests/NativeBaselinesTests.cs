using EquivarianceRegularizer.Torch.Diagnostics;
using EquivarianceRegularizer.Torch.Tests.Support;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>The native benchmark baselines run the op in C++, leave no handles behind and reject bad input.</summary>
public class NativeBaselinesTests
{
    [Test]
    public void Loops_RunAndLeaveNoHandlesBehind()
    {
        using var scope = NewDisposeScope();
        var a = ones(16);
        var x = ones(1, 2, 5, 5);
        var w = ones(3, 2, 3, 3);
        long before = Handles.SettledCount();
        NativeBaselines.AddLoop(a, a, 100);
        NativeBaselines.Conv2dLoop(x, w, null, 3);
        NativeBaselines.Conv2dLoop(x, w, ones(3), 1);
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before + 1), "only the bias this test created");
    }

    [Test]
    public void Loops_RejectBadInput()
    {
        using var scope = NewDisposeScope();
        var a = ones(16);
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeBaselines.AddLoop(a, a, 0));
        Assert.Throws<TorchException>(() => NativeBaselines.AddLoop(a, ones(3), 1));
        Assert.Throws<TorchException>(() => NativeBaselines.Conv2dLoop(ones(1, 2, 5, 5), ones(3, 4, 3, 3), null, 1));
        var disposed = ones(2);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => NativeBaselines.AddLoop(disposed, a, 1));
    }
}
