using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch.Diagnostics;

/// <summary>
/// Loops that run an op many times entirely inside the native bridge (C++), with no managed code per iteration.
/// They are the baselines of the binding-overhead benchmark: the managed API's per-op time divided by
/// (loop time / iterations) is the cost of crossing into .NET and back.
/// </summary>
public static class NativeBaselines
{
    /// <summary>
    /// Computes <c>a + b</c> <paramref name="iterations"/> times in C++, allocating and freeing a heap result handle
    /// each time as the managed <see cref="Tensor.add(Tensor, double)"/> does (but without the bridge's live-handle
    /// counter, so the managed side pays for that too).
    /// </summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand (broadcastable to <paramref name="a"/>).</param>
    /// <param name="iterations">How many additions to run; must be positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="iterations"/> is not positive.</exception>
    /// <exception cref="TorchException">When libtorch rejects the operands.</exception>
    public static void AddLoop(Tensor a, Tensor b, long iterations)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        NativeMethods.Check(NativeMethods.ert_bench_add_loop(a.Handle, b.Handle, iterations));
        GC.KeepAlive(a);
        GC.KeepAlive(b);
    }

    /// <summary>
    /// Computes <c>conv2d(x, weight, bias, stride 1, padding 1)</c> <paramref name="iterations"/> times in C++.
    /// </summary>
    /// <param name="x">Input, N×C×H×W.</param>
    /// <param name="weight">Filters, O×C×kH×kW.</param>
    /// <param name="bias">Optional bias of length O.</param>
    /// <param name="iterations">How many convolutions to run; must be positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="iterations"/> is not positive.</exception>
    /// <exception cref="TorchException">When libtorch rejects the shapes.</exception>
    public static void Conv2dLoop(Tensor x, Tensor weight, Tensor? bias, long iterations)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        NativeMethods.Check(NativeMethods.ert_bench_conv2d_loop(x.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero, iterations));
        GC.KeepAlive(x);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
    }
}
