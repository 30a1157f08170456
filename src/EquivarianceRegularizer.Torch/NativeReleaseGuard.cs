using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

/// <summary>
/// The finalizable part of a <see cref="Tensor"/> that no dispose scope owns: referenced only by that tensor, so
/// it becomes unreachable with it and its finalizer releases the native handle the tensor never disposed.
/// Disposing the tensor clears the guard and returns it to a per-thread pool; a pooled guard stays registered
/// for finalization (with no handle), so reusing it costs no allocation and no re-registration.
/// </summary>
internal sealed class NativeReleaseGuard
{
    private const int PoolCapacity = 256;

    [ThreadStatic] private static Stack<NativeReleaseGuard>? t_pool;

    private IntPtr _handle;

    private NativeReleaseGuard()
    {
    }

    ~NativeReleaseGuard()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) NativeMethods.ert_free(h);
    }

    /// <summary>A guard holding <paramref name="handle"/>, from this thread's pool when it has one.</summary>
    internal static NativeReleaseGuard Rent(IntPtr handle)
    {
        var pool = t_pool;
        var guard = pool is { Count: > 0 } ? pool.Pop() : new NativeReleaseGuard();
        guard._handle = handle;
        return guard;
    }

    /// <summary>Clears the guard (its tensor released the handle itself) and pools it for reuse.</summary>
    internal static void Return(NativeReleaseGuard guard)
    {
        guard._handle = IntPtr.Zero;
        var pool = t_pool ??= new Stack<NativeReleaseGuard>();
        if (pool.Count < PoolCapacity) pool.Push(guard);
        else guard.Retire();
    }

    // The pool is full: this guard will never hold a handle again, so its finalizer need not run.
#pragma warning disable CA1816 // SuppressFinalize outside Dispose: the guard is not IDisposable by design.
    private void Retire() => GC.SuppressFinalize(this);
#pragma warning restore CA1816
}
