using System.Runtime.InteropServices;
using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

/// <summary>
/// A libtorch tensor. Owns one native reference, released by <see cref="Dispose"/> or by the dispose scope it was
/// created in. As a last resort a tensor that no scope owns and that is never disposed is released after the GC
/// collects it (see <see cref="NativeReleaseGuard"/>); a scope that is never disposed releases its tensors when it
/// is collected.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private IntPtr _handle;

    // Last-resort release for a tensor no scope owns. Tensor itself has no finalizer: allocating a finalizable
    // object costs about as much as a 16-element add (measured), and scoped tensors are owned by their scope anyway.
    private NativeReleaseGuard? _guard;

    internal Tensor(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw new ArgumentException("Native tensor handle is null.", nameof(handle));
        _handle = handle;
        var scope = DisposeScope.Current;
        if (scope is not null) scope.Add(this);
        else _guard = NativeReleaseGuard.Rent(handle);
    }

    /// <summary>The scope that owns this tensor, or null.</summary>
    internal DisposeScope? Scope { get; set; }

    /// <summary>Position in <see cref="Scope"/>'s list (for O(1) removal).</summary>
    internal int ScopeSlot { get; set; }

    /// <summary>The native handle; throws when the tensor was disposed.</summary>
    internal IntPtr Handle
    {
        get
        {
            var h = _handle;
            if (h == IntPtr.Zero) throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed.");
            return h;
        }
    }

    /// <summary>True once the native reference was released.</summary>
    public bool IsInvalid => _handle == IntPtr.Zero;

    /// <summary>Number of native tensor references alive in this process (for leak tests).</summary>
    public static long LiveHandleCount => NativeMethods.ert_live_tensors();

    /// <summary>Releases the native reference now (and leaves the dispose scope that held it).</summary>
    public void Dispose()
    {
        Scope?.Remove(this);
        ReleaseNative();
    }

    /// <summary>Releases the native reference without touching the scope (used by a scope being torn down).</summary>
    internal void ReleaseNative()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h == IntPtr.Zero) return;
        var g = _guard;
        _guard = null;
        if (g is not null) NativeReleaseGuard.Return(g);
        NativeMethods.ert_free(h);
    }

    /// <summary>Called when no scope owns this tensor any more: the GC becomes its last-resort owner.</summary>
    internal void BecomeUnscoped()
    {
        Scope = null;
        var h = _handle;
        if (h != IntPtr.Zero && _guard is null) _guard = NativeReleaseGuard.Rent(h);
    }

    /// <summary>Moves this tensor to the dispose scope outside the one it was created in (or to the caller when there is none).</summary>
    public Tensor MoveToOuterDisposeScope() => Scope is { } s ? s.MoveToOuter(this) : this;

    /// <summary>Removes this tensor from its dispose scope: the caller now owns it and must dispose it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        if (Scope is { } s)
        {
            s.Remove(this);
            BecomeUnscoped();
        }
        return this;
    }

    internal static Tensor FromHandle(IntPtr handle) => new(handle);

    internal static Tensor? FromHandleOrNull(IntPtr handle) => handle == IntPtr.Zero ? null : new Tensor(handle);

    // ---- metadata ---------------------------------------------------------------------------

    /// <summary>The sizes of each dimension.</summary>
    public unsafe long[] shape
    {
        get
        {
            long* buf = stackalloc long[16];
            NativeMethods.Check(NativeMethods.ert_shape(Handle, buf, 16, out int ndim));
            GC.KeepAlive(this);
            if (ndim > 16)
            {
                var big = new long[ndim];
                fixed (long* p = big) NativeMethods.Check(NativeMethods.ert_shape(Handle, p, ndim, out _));
                GC.KeepAlive(this);
                return big;
            }
            var result = new long[ndim];
            for (int i = 0; i < ndim; i++) result[i] = buf[i];
            return result;
        }
    }

    /// <summary>Number of dimensions.</summary>
    public int dim() => shape.Length;

    /// <summary>Number of dimensions.</summary>
    public int ndim => shape.Length;

    /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long size(int dim)
    {
        var s = shape;
        int d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for a tensor of {s.Length} dimensions.");
        return s[d];
    }

    private (ScalarType dtype, DeviceType device, bool requiresGrad, bool isLeaf, long numel) Meta()
    {
        NativeMethods.Check(NativeMethods.ert_meta(Handle, out int dt, out int dev, out int rg, out int leaf, out long n));
        GC.KeepAlive(this);
        return ((ScalarType)dt, (DeviceType)dev, rg != 0, leaf != 0, n);
    }

    /// <summary>The element type.</summary>
    public ScalarType dtype => Meta().dtype;

    /// <summary>The device type the data lives on.</summary>
    public DeviceType device_type => Meta().device;

    /// <summary>The device, as a string ("cpu").</summary>
    public string device => device_type == DeviceType.CPU ? "cpu" : "cuda";

    /// <summary>Total number of elements.</summary>
    public long numel() => Meta().numel;

    /// <summary>Whether autograd records operations on this tensor.</summary>
    public bool requires_grad
    {
        get => Meta().requiresGrad;
        set
        {
            // As in PyTorch: only leaves can change the flag (libtorch's C++ API would silently ignore it).
            var (dt, _, rg, leaf, _) = Meta();
            if (!leaf && rg != value)
                throw new InvalidOperationException("requires_grad can only be changed on leaf tensors; use detach() for a non-leaf.");
            if (value && !dt.IsFloatingPoint())
                throw new InvalidOperationException($"Only floating-point tensors can require gradients; this tensor has dtype {dt}.");
            NativeMethods.Check(NativeMethods.ert_set_requires_grad(Handle, value ? 1 : 0));
            GC.KeepAlive(this);
        }
    }

    /// <summary>Sets <see cref="requires_grad"/> in place and returns this tensor.</summary>
    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    /// <summary>Whether this tensor is a leaf of the autograd graph.</summary>
    public bool is_leaf => Meta().isLeaf;

    /// <summary>The value of a one-element tensor.</summary>
    public double item()
    {
        NativeMethods.Check(NativeMethods.ert_item(Handle, out double v));
        GC.KeepAlive(this);
        return v;
    }

    /// <summary>The value of a one-element tensor converted to <typeparamref name="T"/>.</summary>
    public T item<T>() where T : struct, IConvertible =>
        (T)Convert.ChangeType(item(), typeof(T), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>libtorch's printout of the tensor.</summary>
    public override string ToString()
    {
        if (IsInvalid) return "Tensor(disposed)";
        NativeMethods.Check(NativeMethods.ert_to_string(Handle, out IntPtr text));
        GC.KeepAlive(this);
        return NativeMethods.TakeString(text);
    }

    // ---- data out --------------------------------------------------------------------------

    /// <summary>Copies the elements (row-major) into a new array; <typeparamref name="T"/> must match the dtype.</summary>
    public unsafe T[] data<T>() where T : unmanaged
    {
        var (dt, _, _, _, n) = Meta();
        var expected = ScalarTypes.ForClr<T>();
        if (expected != dt)
            throw new InvalidOperationException($"Tensor has dtype {dt}; data<{typeof(T).Name}>() needs {expected}. Call to({expected}) first.");
        var result = new T[n];
        fixed (T* p = result)
            NativeMethods.Check(NativeMethods.ert_copy_to_buffer(Handle, p, n * sizeof(T)));
            GC.KeepAlive(this);
        return result;
    }

    /// <summary>Copies the elements into a new float array, converting the dtype when needed.</summary>
    public float[] ToArrayFloat()
    {
        if (dtype == ScalarType.Float32) return data<float>();
        using var t = to(ScalarType.Float32);
        return t.data<float>();
    }

    /// <summary>Copies the elements into a new double array, converting the dtype when needed.</summary>
    public double[] ToArrayDouble()
    {
        if (dtype == ScalarType.Float64) return data<double>();
        using var t = to(ScalarType.Float64);
        return t.data<double>();
    }

    // ---- autograd --------------------------------------------------------------------------

    /// <summary>The accumulated gradient, or null when none was computed.</summary>
    public Tensor? grad
    {
        get
        {
            NativeMethods.Check(NativeMethods.ert_grad(Handle, out IntPtr g));
            GC.KeepAlive(this);
            return FromHandleOrNull(g);
        }
    }

    /// <summary>Clears the gradient (sets it to None by default, as PyTorch does).</summary>
    public void zero_grad(bool set_to_none = true)
    {
        NativeMethods.Check(NativeMethods.ert_zero_grad(Handle, set_to_none ? 1 : 0));
        GC.KeepAlive(this);
    }

    /// <summary>Backpropagates from this tensor.</summary>
    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false)
    {
        NativeMethods.Check(NativeMethods.ert_backward(Handle, gradient?.Handle ?? IntPtr.Zero, retain_graph ? 1 : 0, create_graph ? 1 : 0));
        GC.KeepAlive(this);
        GC.KeepAlive(gradient);
    }
}

/// <summary>Maps CLR element types to <see cref="ScalarType"/>.</summary>
public static class ScalarTypes
{
    /// <summary>The dtype that stores <typeparamref name="T"/>.</summary>
    public static ScalarType ForClr<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => ScalarType.Float32,
        var t when t == typeof(double) => ScalarType.Float64,
        var t when t == typeof(long) => ScalarType.Int64,
        var t when t == typeof(int) => ScalarType.Int32,
        var t when t == typeof(bool) => ScalarType.Bool,
        var t when t == typeof(byte) => ScalarType.Byte,
        _ => throw new NotSupportedException($"No tensor dtype stores {typeof(T).Name}."),
    };

    /// <summary>True for float32 and float64.</summary>
    public static bool IsFloatingPoint(this ScalarType t) => t is ScalarType.Float32 or ScalarType.Float64;
}
