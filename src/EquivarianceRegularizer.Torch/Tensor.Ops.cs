using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

// Tensor methods. Each is one boxed ATen call (src/native/dispatch.cpp) unless it is a hot elementwise op
// with a typed export. Names follow PyTorch / TorchSharp.
public sealed partial class Tensor
{
    private Tensor Typed(int status, IntPtr result)
    {
        if (status != 0) NativeMethods.ThrowLastError();
        GC.KeepAlive(this);
        return FromHandle(result);
    }

    // ---- arithmetic ----------------------------------------------------------------------------
    /// <summary>this + alpha·other (broadcasting).</summary>
    public Tensor add(Tensor other, double alpha = 1)
    {
        int s = NativeMethods.ert_add(Handle, other.Handle, alpha, out IntPtr r);
        GC.KeepAlive(other);
        return Typed(s, r);
    }
    /// <summary>this − alpha·other (broadcasting).</summary>
    public Tensor sub(Tensor other, double alpha = 1)
    {
        int s = NativeMethods.ert_sub(Handle, other.Handle, alpha, out IntPtr r);
        GC.KeepAlive(other);
        return Typed(s, r);
    }
    /// <summary>Elementwise product (broadcasting).</summary>
    public Tensor mul(Tensor other)
    {
        int s = NativeMethods.ert_mul(Handle, other.Handle, out IntPtr r);
        GC.KeepAlive(other);
        return Typed(s, r);
    }
    /// <summary>Elementwise quotient (broadcasting).</summary>
    public Tensor div(Tensor other)
    {
        int s = NativeMethods.ert_div(Handle, other.Handle, out IntPtr r);
        GC.KeepAlive(other);
        return Typed(s, r);
    }
    /// <summary>this + scalar.</summary>
    public Tensor add(double scalar) => Typed(NativeMethods.ert_add_scalar(Handle, scalar, out IntPtr r), r);
    /// <summary>this · scalar.</summary>
    public Tensor mul(double scalar) => Typed(NativeMethods.ert_mul_scalar(Handle, scalar, out IntPtr r), r);
    /// <summary>this − scalar.</summary>
    public Tensor sub(double scalar) => add(-scalar);
    /// <summary>this / scalar.</summary>
    public Tensor div(double scalar) => Ops.Call("div.Scalar", this, scalar);
    /// <summary>Elementwise power.</summary>
    public Tensor pow(double exponent) => Ops.Call("pow.Tensor_Scalar", this, exponent);
    /// <summary>Elementwise power with a tensor exponent.</summary>
    public Tensor pow(Tensor exponent) => Ops.Call("pow.Tensor_Tensor", this, exponent);
    /// <summary>Elementwise maximum of two tensors.</summary>
    public Tensor maximum(Tensor other) => Ops.Call("maximum", this, other);
    /// <summary>Elementwise minimum of two tensors.</summary>
    public Tensor minimum(Tensor other) => Ops.Call("minimum", this, other);
    /// <summary>Matrix product with broadcasting, as torch.matmul.</summary>
    public Tensor matmul(Tensor other) => Ops.Call("matmul", this, other);

    // ---- in place ------------------------------------------------------------------------------
    /// <summary>In place: this += alpha·other.</summary>
    public Tensor add_(Tensor other, double alpha = 1) { Ops.CallInPlace("add_.Tensor", this, other, Alpha(alpha)); return this; }
    /// <summary>In place: this -= alpha·other.</summary>
    public Tensor sub_(Tensor other, double alpha = 1) { Ops.CallInPlace("sub_.Tensor", this, other, Alpha(alpha)); return this; }

    // A whole-number alpha goes as an int so integral tensors accept it (libtorch rejects a float alpha for them).
    private static A Alpha(double alpha) =>
        Math.Abs(alpha) < 9e15 && alpha == Math.Floor(alpha) ? (A)(long)alpha : (A)alpha;
    /// <summary>In place: this *= other.</summary>
    public Tensor mul_(Tensor other) { Ops.CallInPlace("mul_.Tensor", this, other); return this; }
    /// <summary>In place: this *= scalar.</summary>
    public Tensor mul_(double scalar) { Ops.CallInPlace("mul_.Scalar", this, scalar); return this; }
    /// <summary>In place: this /= other.</summary>
    public Tensor div_(Tensor other) { Ops.CallInPlace("div_.Tensor", this, other); return this; }
    /// <summary>In place: this += value·t1·t2.</summary>
    public Tensor addcmul_(Tensor t1, Tensor t2, double value = 1) { Ops.CallInPlace("addcmul_", this, t1, t2, value); return this; }
    /// <summary>In place: this += value·t1/t2.</summary>
    public Tensor addcdiv_(Tensor t1, Tensor t2, double value = 1) { Ops.CallInPlace("addcdiv_", this, t1, t2, value); return this; }
    /// <summary>In place: fills with zeros.</summary>
    public Tensor zero_() { Ops.CallInPlace("zero_", this); return this; }
    /// <summary>In place: fills with <paramref name="value"/>.</summary>
    public Tensor fill_(double value) { Ops.CallInPlace("fill_.Scalar", this, value); return this; }
    /// <summary>In place: copies <paramref name="src"/> into this tensor (broadcasting).</summary>
    public Tensor copy_(Tensor src) { Ops.CallInPlace("copy_", this, src, false); return this; }
    /// <summary>In place: samples from U(from, to).</summary>
    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null) { Ops.CallInPlace("uniform_", this, from, to, generator); return this; }
    /// <summary>In place: samples from N(mean, std²).</summary>
    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null) { Ops.CallInPlace("normal_", this, mean, std, generator); return this; }
    /// <summary>In place: clamps into [min, max].</summary>
    public Tensor clamp_(double? min = null, double? max = null) { Ops.CallInPlace("clamp_", this, A.Opt(min), A.Opt(max)); return this; }

    // ---- comparisons ---------------------------------------------------------------------------
    /// <summary>Elementwise ==.</summary>
    public Tensor eq(Tensor other) => Ops.Call("eq.Tensor", this, other);
    /// <summary>Elementwise == scalar.</summary>
    public Tensor eq(double other) => Ops.Call("eq.Scalar", this, other);
    /// <summary>Elementwise !=.</summary>
    public Tensor ne(Tensor other) => Ops.Call("ne.Tensor", this, other);
    /// <summary>Elementwise != scalar.</summary>
    public Tensor ne(double other) => Ops.Call("ne.Scalar", this, other);
    /// <summary>Elementwise &lt;.</summary>
    public Tensor lt(Tensor other) => Ops.Call("lt.Tensor", this, other);
    /// <summary>Elementwise &lt;=.</summary>
    public Tensor le(Tensor other) => Ops.Call("le.Tensor", this, other);
    /// <summary>Elementwise &gt;.</summary>
    public Tensor gt(Tensor other) => Ops.Call("gt.Tensor", this, other);
    /// <summary>Elementwise &gt;=.</summary>
    public Tensor ge(Tensor other) => Ops.Call("ge.Tensor", this, other);
    /// <summary>Elementwise &lt; scalar.</summary>
    public Tensor lt(double other) => Ops.Call("lt.Scalar", this, other);
    /// <summary>Elementwise &lt;= scalar.</summary>
    public Tensor le(double other) => Ops.Call("le.Scalar", this, other);
    /// <summary>Elementwise &gt; scalar.</summary>
    public Tensor gt(double other) => Ops.Call("gt.Scalar", this, other);
    /// <summary>Elementwise &gt;= scalar.</summary>
    public Tensor ge(double other) => Ops.Call("ge.Scalar", this, other);
    /// <summary>Elementwise logical and.</summary>
    public Tensor logical_and(Tensor other) => Ops.Call("logical_and", this, other);
    /// <summary>Elementwise logical not.</summary>
    public Tensor logical_not() => Ops.Call("logical_not", this);
    /// <summary>Whether all elements are true (non-zero).</summary>
    public bool all() { using var t = Ops.Call("all", this); return t.item() != 0; }
    /// <summary>Whether any element is true (non-zero).</summary>
    public bool any() { using var t = Ops.Call("any", this); return t.item() != 0; }
    /// <summary>Whether every element is close to <paramref name="other"/>: |a−b| ≤ atol + rtol·|b|.</summary>
    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) =>
        Ops.CallScalar("allclose", this, other, rtol, atol, equal_nan) != 0;
    /// <summary>Elementwise: not NaN and not ±Inf.</summary>
    public Tensor isfinite() => Ops.Call("isfinite", this);
    /// <summary>Elementwise: is NaN.</summary>
    public Tensor isnan() => Ops.Call("isnan", this);
    /// <summary>True when every element is finite.</summary>
    public bool all_finite() { using var f = isfinite(); return f.all(); }

    // ---- unary math ----------------------------------------------------------------------------
    /// <summary>|x|.</summary>
    public Tensor abs() => Ops.Call("abs", this);
    /// <summary>−x.</summary>
    public Tensor neg() => Ops.Call("neg", this);
    /// <summary>√x.</summary>
    public Tensor sqrt() => Ops.Call("sqrt", this);
    /// <summary>eˣ.</summary>
    public Tensor exp() => Ops.Call("exp", this);
    /// <summary>ln x.</summary>
    public Tensor log() => Ops.Call("log", this);
    /// <summary>sin x.</summary>
    public Tensor sin() => Ops.Call("sin", this);
    /// <summary>cos x.</summary>
    public Tensor cos() => Ops.Call("cos", this);
    /// <summary>tanh x.</summary>
    public Tensor tanh() => Ops.Call("tanh", this);
    /// <summary>Logistic sigmoid.</summary>
    public Tensor sigmoid() => Ops.Call("sigmoid", this);
    /// <summary>max(x, 0).</summary>
    public Tensor relu() => Ops.Call("relu", this);
    /// <summary>floor x.</summary>
    public Tensor floor() => Ops.Call("floor", this);
    /// <summary>round x.</summary>
    public Tensor round() => Ops.Call("round", this);
    /// <summary>sign x.</summary>
    public Tensor sign() => Ops.Call("sign", this);
    /// <summary>x².</summary>
    public Tensor square() => Ops.Call("square", this);
    /// <summary>Clamps into [min, max]; either bound may be omitted.</summary>
    public Tensor clamp(double? min = null, double? max = null) => Ops.Call("clamp", this, A.Opt(min), A.Opt(max));
    /// <summary>Replaces NaN and infinities with finite numbers.</summary>
    public Tensor nan_to_num(double nan = 0, double? posinf = null, double? neginf = null) => Ops.Call("nan_to_num", this, nan, A.Opt(posinf), A.Opt(neginf));

    // ---- reductions ----------------------------------------------------------------------------
    /// <summary>Sum of all elements.</summary>
    public Tensor sum() => Ops.Call("sum", this);
    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public Tensor sum(long[] dims, bool keepdim = false) => Ops.Call("sum.dim_IntList", this, dims, keepdim);
    /// <summary>Sum over one dimension.</summary>
    public Tensor sum(long dim, bool keepdim = false) => sum(new[] { dim }, keepdim);
    /// <summary>Mean of all elements.</summary>
    public Tensor mean() => Ops.Call("mean", this);
    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor mean(long[] dims, bool keepdim = false) => Ops.Call("mean.dim", this, dims, keepdim);
    /// <summary>Mean over one dimension.</summary>
    public Tensor mean(long dim, bool keepdim = false) => mean(new[] { dim }, keepdim);
    /// <summary>Maximum of all elements.</summary>
    public Tensor max() => Ops.Call("max", this);
    /// <summary>Maximum over a dimension: (values, indices).</summary>
    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false) { var r = Ops.CallMany("max.dim", this, dim, keepdim); return (r[0], r[1]); }
    /// <summary>Minimum of all elements.</summary>
    public Tensor min() => Ops.Call("min", this);
    /// <summary>Minimum over a dimension: (values, indices).</summary>
    public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false) { var r = Ops.CallMany("min.dim", this, dim, keepdim); return (r[0], r[1]); }
    /// <summary>Index of the maximum (flattened when <paramref name="dim"/> is null).</summary>
    public Tensor argmax(long? dim = null, bool keepdim = false) => Ops.Call("argmax", this, A.Opt(dim), keepdim);
    /// <summary>Standard deviation of all elements.</summary>
    public Tensor std(bool unbiased = true) => Ops.Call("std", this, unbiased);
    /// <summary>Standard deviation over <paramref name="dims"/>.</summary>
    public Tensor std(long[] dims, bool unbiased = true, bool keepdim = false) => Ops.Call("std.dim", this, dims, unbiased, keepdim);
    /// <summary>Variance over <paramref name="dims"/>.</summary>
    public Tensor var(long[] dims, bool unbiased = true, bool keepdim = false) => Ops.Call("var.dim", this, dims, unbiased, keepdim);
    /// <summary>p-norm of all elements.</summary>
    public Tensor norm(double p = 2) => Ops.Call("norm.Scalar", this, p);
    /// <summary>p-norm over <paramref name="dims"/>.</summary>
    public Tensor norm(long[] dims, double p = 2, bool keepdim = false) => Ops.Call("norm.ScalarOpt_dim", this, p, dims, keepdim);
    /// <summary>Cumulative sum along a dimension.</summary>
    public Tensor cumsum(long dim) => Ops.Call("cumsum", this, dim);

    // ---- shape ---------------------------------------------------------------------------------
    /// <summary>Same data, new shape (copies when needed).</summary>
    public Tensor reshape(params long[] shape) => Ops.Call("reshape", this, shape);
    /// <summary>Same data, new shape (no copy; needs compatible strides).</summary>
    public Tensor view(params long[] shape) => Ops.Call("view", this, shape);
    /// <summary>Reorders dimensions.</summary>
    public Tensor permute(params long[] dims) => Ops.Call("permute", this, dims);
    /// <summary>Swaps two dimensions.</summary>
    public Tensor transpose(long dim0, long dim1) => Ops.Call("transpose.int", this, dim0, dim1);
    /// <summary>Flattens dimensions start..end into one.</summary>
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => Ops.Call("flatten.using_ints", this, start_dim, end_dim);
    /// <summary>Removes all dimensions of size 1.</summary>
    public Tensor squeeze() => Ops.Call("squeeze", this);
    /// <summary>Removes dimension <paramref name="dim"/> if it has size 1.</summary>
    public Tensor squeeze(long dim) => Ops.Call("squeeze.dim", this, dim);
    /// <summary>Inserts a dimension of size 1.</summary>
    public Tensor unsqueeze(long dim) => Ops.Call("unsqueeze", this, dim);
    /// <summary>Broadcasts to a larger shape without copying (−1 keeps a size).</summary>
    public Tensor expand(params long[] sizes) => Ops.Call("expand", this, sizes, false);
    /// <summary>Tiles the tensor.</summary>
    public Tensor repeat(params long[] repeats) => Ops.Call("repeat", this, repeats);
    /// <summary>Repeats each element along a dimension.</summary>
    public Tensor repeat_interleave(long repeats, long dim) => Ops.Call("repeat_interleave.self_int", this, repeats, dim);
    /// <summary>A contiguous copy (or this data when already contiguous).</summary>
    public Tensor contiguous() => Ops.Call("contiguous", this);
    /// <summary>A copy that does not share storage.</summary>
    public Tensor clone() => Ops.Call("clone", this);
    /// <summary>A view cut off from the autograd graph.</summary>
    public Tensor detach() => Ops.Call("detach", this);
    /// <summary>In place: cuts this tensor off from the autograd graph.</summary>
    public Tensor detach_() { Ops.CallInPlace("detach_", this); return this; }
    /// <summary>Splits into <paramref name="chunks"/> pieces along a dimension.</summary>
    public Tensor[] chunk(long chunks, long dim = 0) => Ops.CallMany("chunk", this, chunks, dim);
    /// <summary>Splits into pieces of <paramref name="split_size"/> along a dimension.</summary>
    public Tensor[] split(long split_size, long dim = 0) => Ops.CallMany("split.Tensor", this, split_size, dim);
    /// <summary>Splits into pieces of the given sizes along a dimension.</summary>
    public Tensor[] split(long[] split_sizes, long dim = 0) => Ops.CallMany("split_with_sizes", this, split_sizes, dim);
    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="start"/> along a dimension.</summary>
    public Tensor narrow(long dim, long start, long length) => Ops.Call("narrow", this, dim, start, length);
    /// <summary>A view of start:end:step along a dimension.</summary>
    public Tensor slice(long dim, long? start, long? end, long step = 1) => Ops.Call("slice.Tensor", this, dim, A.Opt(start), A.Opt(end), step);
    /// <summary>Selects index <paramref name="index"/> along a dimension (removing it).</summary>
    public Tensor select(long dim, long index) => Ops.Call("select.int", this, dim, index);
    /// <summary>Selects entries along a dimension by an int64 index tensor.</summary>
    public Tensor index_select(long dim, Tensor index) => Ops.Call("index_select", this, dim, index);
    /// <summary>Gathers values along a dimension by an int64 index tensor.</summary>
    public Tensor gather(long dim, Tensor index) => Ops.Call("gather", this, dim, index, false);
    /// <summary>Advanced indexing: this[i0, i1, …] with index tensors (null keeps a dimension whole).</summary>
    public Tensor index(params Tensor?[] indices) => Ops.Call("index.Tensor", this, indices);
    /// <summary>Selects along the first dimension: <c>t[i]</c>.</summary>
    public Tensor this[long i] => select(0, i);
    /// <summary>Selects along the first dimensions: <c>t[i, j]</c>.</summary>
    public Tensor this[long i, long j] { get { using var a = select(0, i); return a.select(0, j); } }
    /// <summary>Reverses the order along <paramref name="dims"/>.</summary>
    public Tensor flip(params long[] dims) => Ops.Call("flip", this, dims);
    /// <summary>Cyclic shift along <paramref name="dims"/>.</summary>
    public Tensor roll(long[] shifts, long[] dims) => Ops.Call("roll", this, shifts, dims);
    /// <summary>Cyclic shift along one dimension.</summary>
    public Tensor roll(long shift, long dim) => roll(new[] { shift }, new[] { dim });
    /// <summary>Rotates by k quarter turns in the plane of <paramref name="dims"/> (from the first towards the second axis).</summary>
    public Tensor rot90(long k = 1, long[]? dims = null) => Ops.Call("rot90", this, k, dims ?? new long[] { 0, 1 });
    /// <summary>Fills entries where <paramref name="mask"/> is true.</summary>
    public Tensor masked_fill(Tensor mask, double value) => Ops.Call("masked_fill.Scalar", this, mask, value);
    /// <summary>Converts the dtype (a copy unless it already matches).</summary>
    public Tensor to(ScalarType dtype, bool copy = false) => Ops.Call("to.dtype", this, dtype, false, copy);
    /// <summary>Converts to float32.</summary>
    public Tensor @float() => to(ScalarType.Float32);
    /// <summary>Converts to float64.</summary>
    public Tensor @double() => to(ScalarType.Float64);
    /// <summary>Converts to int64.</summary>
    public Tensor @long() => to(ScalarType.Int64);
    /// <summary>Sorts along a dimension: (values, indices).</summary>
    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false) { var r = Ops.CallMany("sort", this, dim, descending); return (r[0], r[1]); }
    /// <summary>The k largest entries along a dimension: (values, indices).</summary>
    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true) { var r = Ops.CallMany("topk", this, k, dim, largest, sorted); return (r[0], r[1]); }

    // ---- activations on tensors ----------------------------------------------------------------
    /// <summary>log(softmax(x)) along a dimension.</summary>
    public Tensor log_softmax(long dim) => Ops.Call("log_softmax.int", this, dim, A.None);
    /// <summary>softmax along a dimension.</summary>
    public Tensor softmax(long dim) => Ops.Call("softmax.int", this, dim, A.None);

    // ---- operators -----------------------------------------------------------------------------
    /// <summary>Elementwise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double a, Tensor b) => b.add(a);
    /// <summary>Elementwise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => a.add(-b);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => Ops.Call("rsub.Scalar", b, a, 1);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.neg();
    /// <summary>Elementwise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    /// <summary>Scales by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    /// <summary>Scales by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => b.mul(a);
    /// <summary>Elementwise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => a.div(b);
    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(double a, Tensor b) { using var r = b.reciprocal(); return r.mul(a); }
    /// <summary>Elementwise &lt;.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.lt(b);
    /// <summary>Elementwise &gt;.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.gt(b);
    /// <summary>Elementwise &lt;=.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.le(b);
    /// <summary>Elementwise &gt;=.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.ge(b);
    /// <summary>Elementwise &lt; scalar.</summary>
    public static Tensor operator <(Tensor a, double b) => a.lt(b);
    /// <summary>Elementwise &gt; scalar.</summary>
    public static Tensor operator >(Tensor a, double b) => a.gt(b);
    /// <summary>Elementwise &lt;= scalar.</summary>
    public static Tensor operator <=(Tensor a, double b) => a.le(b);
    /// <summary>Elementwise &gt;= scalar.</summary>
    public static Tensor operator >=(Tensor a, double b) => a.ge(b);

    /// <summary>1/x.</summary>
    public Tensor reciprocal() => Ops.Call("reciprocal", this);
}
