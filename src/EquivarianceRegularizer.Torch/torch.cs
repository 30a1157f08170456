using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

/// <summary>
/// The <c>torch</c> namespace of PyTorch / TorchSharp: tensor creation, free functions, grad mode and scopes.
/// Use it with <c>using static EquivarianceRegularizer.Torch.torch;</c>.
/// </summary>
public static partial class torch
{
    /// <summary>Default dtype for floating-point factories.</summary>
    public static ScalarType default_dtype { get; set; } = ScalarType.Float32;

    /// <summary>float32.</summary>
    public const ScalarType float32 = ScalarType.Float32;
    /// <summary>float64.</summary>
    public const ScalarType float64 = ScalarType.Float64;
    /// <summary>int64.</summary>
    public const ScalarType int64 = ScalarType.Int64;
    /// <summary>bool.</summary>
    public const ScalarType @bool = ScalarType.Bool;

    // ---- memory --------------------------------------------------------------------------------
    /// <summary>Opens a dispose scope on this thread: every tensor created until it is disposed joins it.</summary>
    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Seeds libtorch's global CPU generator.</summary>
    public static void manual_seed(ulong seed) => NativeMethods.Check(NativeMethods.ert_manual_seed(seed));

    /// <summary>Number of intra-op threads libtorch uses.</summary>
    public static int get_num_threads() => NativeMethods.ert_get_num_threads();

    /// <summary>Sets the number of intra-op threads libtorch uses.</summary>
    public static void set_num_threads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "Thread count must be at least 1.");
        NativeMethods.ert_set_num_threads(n);
    }

    // ---- grad mode -----------------------------------------------------------------------------
    /// <summary>Whether autograd records operations on this thread.</summary>
    public static bool is_grad_enabled() => NativeMethods.ert_is_grad_enabled() != 0;

    /// <summary>Disables gradient recording on this thread until the returned scope is disposed.</summary>
    public static GradModeScope no_grad() => new(false);

    /// <summary>Enables gradient recording on this thread until the returned scope is disposed.</summary>
    public static GradModeScope enable_grad() => new(true);

    /// <summary>Restores the previous grad mode of this thread when disposed.</summary>
    public readonly struct GradModeScope : IDisposable
    {
        private readonly bool _previous;

        internal GradModeScope(bool enabled)
        {
            _previous = NativeMethods.ert_is_grad_enabled() != 0;
            NativeMethods.ert_set_grad_enabled(enabled ? 1 : 0);
        }

        /// <summary>Restores the previous grad mode.</summary>
        public void Dispose() => NativeMethods.ert_set_grad_enabled(_previous ? 1 : 0);
    }

    // ---- creation from .NET data ---------------------------------------------------------------
    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    public static unsafe Tensor tensor<T>(T[] data, long[]? shape = null, bool requires_grad = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        shape ??= new long[] { data.Length };
        long n = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has a negative size.", nameof(shape));
            n *= s;
        }
        if (n != data.Length)
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] holds {n} elements but data has {data.Length}.", nameof(shape));
        var dtype = ScalarTypes.ForClr<T>();
        fixed (T* p = data)
        fixed (long* sp = shape)
        {
            NativeMethods.Check(NativeMethods.ert_from_buffer(p, sp, shape.Length, (int)dtype, requires_grad ? 1 : 0, out IntPtr h));
            return Tensor.FromHandle(h);
        }
    }

    /// <summary>A tensor from a 2-D array.</summary>
    public static Tensor tensor<T>(T[,] data, bool requires_grad = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new T[data.Length];
        int k = 0;
        foreach (var v in data) flat[k++] = v;
        return tensor(flat, new long[] { data.GetLength(0), data.GetLength(1) }, requires_grad);
    }

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor scalar_tensor(double value, ScalarType? dtype = null) =>
        Ops.Call("scalar_tensor", value, dtype ?? default_dtype);

    // ---- factories -----------------------------------------------------------------------------
    private static Tensor Grad(Tensor t, bool requires_grad) => requires_grad ? t.requires_grad_() : t;

    /// <summary>Zeros of the given shape.</summary>
    public static Tensor zeros(long[] size, ScalarType? dtype = null, bool requires_grad = false) =>
        Grad(Ops.Call("zeros", size, dtype ?? default_dtype), requires_grad);
    /// <summary>Zeros of the given shape.</summary>
    public static Tensor zeros(params long[] size) => zeros(size, null);
    /// <summary>Ones of the given shape.</summary>
    public static Tensor ones(long[] size, ScalarType? dtype = null, bool requires_grad = false) =>
        Grad(Ops.Call("ones", size, dtype ?? default_dtype), requires_grad);
    /// <summary>Ones of the given shape.</summary>
    public static Tensor ones(params long[] size) => ones(size, null);
    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor full(long[] size, double value, ScalarType? dtype = null, bool requires_grad = false) =>
        Grad(Ops.Call("full", size, value, dtype ?? default_dtype), requires_grad);
    /// <summary>Zeros shaped like <paramref name="t"/>.</summary>
    public static Tensor zeros_like(Tensor t, ScalarType? dtype = null) => Ops.Call("zeros_like", t, A.Dtype(dtype));
    /// <summary>Ones shaped like <paramref name="t"/>.</summary>
    public static Tensor ones_like(Tensor t, ScalarType? dtype = null) => Ops.Call("ones_like", t, A.Dtype(dtype));
    /// <summary>Standard normal samples shaped like <paramref name="t"/>.</summary>
    public static Tensor randn_like(Tensor t) => Ops.Call("randn_like", t);
    /// <summary>Uniform [0,1) samples shaped like <paramref name="t"/>.</summary>
    public static Tensor rand_like(Tensor t) => Ops.Call("rand_like", t);
    /// <summary>[0, end) with step 1.</summary>
    public static Tensor arange(double end, ScalarType? dtype = null) => Ops.Call("arange", end, dtype ?? InferArange(0, end, 1));
    /// <summary>[start, end) with <paramref name="step"/>.</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null) =>
        Ops.Call("arange.start_step", start, end, step, dtype ?? InferArange(start, end, step));
    private static ScalarType InferArange(double a, double b, double c) =>
        a == Math.Floor(a) && b == Math.Floor(b) && c == Math.Floor(c) ? ScalarType.Int64 : default_dtype;
    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor linspace(double start, double end, long steps, ScalarType? dtype = null) =>
        Ops.Call("linspace", start, end, steps, dtype ?? default_dtype);
    /// <summary>The n×m identity matrix.</summary>
    public static Tensor eye(long n, long? m = null, ScalarType? dtype = null) =>
        Ops.Call("eye.m", n, m ?? n, dtype ?? default_dtype);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(long[] size, Generator? generator = null, ScalarType? dtype = null, bool requires_grad = false) =>
        Grad(Ops.Call("rand.generator", size, generator, dtype ?? default_dtype), requires_grad);
    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(params long[] size) => rand(size, null);
    /// <summary>Standard normal samples.</summary>
    public static Tensor randn(long[] size, Generator? generator = null, ScalarType? dtype = null, bool requires_grad = false) =>
        Grad(Ops.Call("randn.generator", size, generator, dtype ?? default_dtype), requires_grad);
    /// <summary>Standard normal samples.</summary>
    public static Tensor randn(params long[] size) => randn(size, null);
    /// <summary>Integers uniform in [low, high).</summary>
    public static Tensor randint(long low, long high, long[] size, Generator? generator = null, ScalarType? dtype = null)
    {
        if (high <= low) throw new ArgumentException($"randint needs low < high, got [{low}, {high}).", nameof(high));
        return Ops.Call("randint.low_generator", low, high, size, generator, dtype ?? ScalarType.Int64);
    }
    /// <summary>A random permutation of 0..n−1.</summary>
    public static Tensor randperm(long n, Generator? generator = null) =>
        Ops.Call("randperm.generator", n, generator, ScalarType.Int64);
    /// <summary>Bernoulli samples with probabilities <paramref name="p"/>.</summary>
    public static Tensor bernoulli(Tensor p, Generator? generator = null) => Ops.Call("bernoulli", p, generator);
    /// <summary>Samples indices from the rows of <paramref name="probabilities"/>.</summary>
    public static Tensor multinomial(Tensor probabilities, long num_samples, bool replacement = false, Generator? generator = null) =>
        Ops.Call("multinomial", probabilities, num_samples, replacement, generator);

    // ---- combining -----------------------------------------------------------------------------
    /// <summary>Concatenates along an existing dimension.</summary>
    public static Tensor cat(IList<Tensor> tensors, long dim = 0) => Ops.Call("cat", ToArray(tensors), dim);
    /// <summary>Stacks along a new dimension.</summary>
    public static Tensor stack(IList<Tensor> tensors, long dim = 0) => Ops.Call("stack", ToArray(tensors), dim);
    private static Tensor[] ToArray(IList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Needs at least one tensor.", nameof(tensors));
        return tensors as Tensor[] ?? tensors.ToArray();
    }
    /// <summary>Chooses from <paramref name="x"/> where <paramref name="condition"/> holds, else from <paramref name="y"/>.</summary>
    public static Tensor where(Tensor condition, Tensor x, Tensor y) => Ops.Call("where.self", condition, x, y);
    /// <summary>Einstein summation.</summary>
    public static Tensor einsum(string equation, params Tensor[] operands) => Ops.Call("einsum", equation, operands, A.None);
    /// <summary>Matrix product with broadcasting.</summary>
    public static Tensor matmul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var sa = a.shape;
        var sb = b.shape;
        if (sa.Length == 0 || sb.Length == 0)
            throw new ArgumentException($"matmul needs tensors of at least one dimension, got [{string.Join(", ", sa)}] and [{string.Join(", ", sb)}].");
        long inner = sa[^1];
        long other = sb.Length == 1 ? sb[0] : sb[^2];
        if (inner != other)
            throw new ArgumentException($"matmul: shapes [{string.Join(", ", sa)}] and [{string.Join(", ", sb)}] are incompatible ({inner} != {other}).");
        return a.matmul(b);
    }
    /// <summary>Whether every element of a is close to b.</summary>
    public static bool allclose(Tensor a, Tensor b, double rtol = 1e-5, double atol = 1e-8) => (a ?? throw new ArgumentNullException(nameof(a))).allclose(b, rtol, atol);
    /// <summary>Elementwise maximum.</summary>
    public static Tensor maximum(Tensor a, Tensor b) => (a ?? throw new ArgumentNullException(nameof(a))).maximum(b);
    /// <summary>Elementwise minimum.</summary>
    public static Tensor minimum(Tensor a, Tensor b) => (a ?? throw new ArgumentNullException(nameof(a))).minimum(b);
    /// <summary>Elementwise finiteness.</summary>
    public static Tensor isfinite(Tensor t) => (t ?? throw new ArgumentNullException(nameof(t))).isfinite();

    /// <summary>Linear algebra functions.</summary>
    public static class linalg
    {
        /// <summary>Vector p-norm over <paramref name="dim"/> (all elements when null); ord may be ±∞.</summary>
        public static Tensor vector_norm(Tensor x, double ord = 2, long[]? dim = null, bool keepdim = false) =>
            Ops.Call("linalg_vector_norm", x, ord, dim, keepdim, A.None);
    }

    /// <summary>The schema of an ATen operator, e.g. <c>torch.schema("conv2d")</c>.</summary>
    public static string schema(string op) => Ops.Schema(op);
}
