
namespace EquivarianceRegularizer.Sampling;

/// <summary>
/// The box a Monte Carlo integral runs over: per-element lower and upper bounds of one input sample. Given as a
/// scalar pair, a tensor of shape (…, 2) whose last axis is (lower, upper), or arrays — anything that broadcasts
/// to (shape…, 2). <see cref="Resolve"/> broadcasts to an input shape and validates (finite, lower ≤ upper). The
/// regularizer's points and the audit's random inputs both come from these bounds.
/// </summary>
public sealed class Bounds
{
    private readonly double[] _data;
    private readonly long[] _shape;

    private Bounds(double[] bounds, long[] shape, string origin)
    {
        var data = bounds;
        _data = bounds;
        _shape = shape;
        Origin = origin;
        if (shape.Length == 0 || shape[^1] != 2)
            throw new ArgumentException($"Bounds from {origin} must have a last axis of length 2 (lower, upper); got shape [{string.Join(", ", shape)}].", nameof(bounds));
        for (int i = 0; i < data.Length; i += 2)
        {
            double lo = data[i], hi = data[i + 1];
            if (!double.IsFinite(lo) || !double.IsFinite(hi))
                throw new ArgumentException($"Bounds from {origin} must be finite; entry {i / 2} is [{lo}, {hi}].", nameof(bounds));
            if (lo > hi)
                throw new ArgumentException($"Bounds from {origin} need lower ≤ upper; entry {i / 2} is [{lo}, {hi}].", nameof(bounds));
            if (!double.IsFinite(hi - lo))
                throw new ArgumentException(
                    $"Bounds from {origin}: entry {i / 2}, [{lo}, {hi}], is wider than the largest double (upper − lower overflows), so every " +
                    "point drawn in it would be infinite; give bounds whose width is finite (the inputs your model really sees).", nameof(bounds));
        }
    }

    /// <summary>Where the bounds came from (for messages).</summary>
    public string Origin { get; }

    /// <summary>"[lower, upper]" for one pair; otherwise where the per-element bounds came from (for reports).</summary>
    public string Interval => _data.Length == 2
        ? FormattableString.Invariant($"[{_data[0]}, {_data[1]}]")
        : Origin;

    /// <summary>The default: every element in [0, 1].</summary>
    public static Bounds UnitCube { get; } = Scalar(0, 1);

    /// <summary>Every element in [<paramref name="lower"/>, <paramref name="upper"/>].</summary>
    public static Bounds Scalar(double lower, double upper) => new(new[] { lower, upper }, new long[] { 2 }, $"the pair [{lower}, {upper}]");

    /// <summary>
    /// Bounds from a tensor of shape (…, 2) (last axis lower, upper), broadcastable to (shape…, 2). The values are copied.
    /// </summary>
    public static Bounds FromTensor(Tensor bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        using var d = bounds.to(ScalarType.Float64).contiguous();
        return new Bounds(d.data<double>().ToArray(), bounds.shape, $"a tensor of shape [{string.Join(", ", bounds.shape)}]");
    }

    /// <summary>Separate lower and upper bounds of equal shapes (each broadcastable to the input shape).</summary>
    public static Bounds FromLowerUpper(Tensor lower, Tensor upper)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (!lower.shape.AsSpan().SequenceEqual(upper.shape))
            throw new ArgumentException($"Lower bounds have shape [{string.Join(", ", lower.shape)}] but upper bounds [{string.Join(", ", upper.shape)}].", nameof(upper));
        using var s = stack(new[] { lower, upper }, -1);
        return FromTensor(s);
    }

    /// <summary>Bounds from a flat array: [lower, upper].</summary>
    public static Bounds FromArray(double[] bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        return new Bounds((double[])bounds.Clone(), new long[] { bounds.Length }, $"an array of length {bounds.Length}");
    }

    /// <summary>Bounds from an n×2 array (row i: lower and upper of position i along the last input axis).</summary>
    public static Bounds FromArray(double[,] bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        var flat = new double[bounds.Length];
        int k = 0;
        foreach (var v in bounds) flat[k++] = v;
        return new Bounds(flat, new long[] { bounds.GetLength(0), bounds.GetLength(1) }, $"an array of shape [{bounds.GetLength(0)}, {bounds.GetLength(1)}]");
    }

    /// <summary>[lower, upper].</summary>
    public static implicit operator Bounds((double lower, double upper) pair) => Scalar(pair.lower, pair.upper);

    /// <summary>[lower, upper] (or any array of shape (…, 2)).</summary>
    public static implicit operator Bounds(double[] bounds) => FromArray(bounds);

    /// <summary>An n×2 array.</summary>
    public static implicit operator Bounds(double[,] bounds) => FromArray(bounds);

    /// <summary>A tensor of shape (…, 2).</summary>
    public static implicit operator Bounds(Tensor bounds) => FromTensor(bounds);

    /// <summary>
    /// The lower bounds and the widths (upper − lower), each of shape <paramref name="shape"/>, in <paramref name="dtype"/>.
    /// Throws when the bounds do not broadcast to (shape…, 2).
    /// </summary>
    public (Tensor lower, Tensor width) Resolve(long[] shape, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var target = shape.Append(2L).ToArray();
        if (!Broadcasts(_shape, target))
            throw new ArgumentException(
                $"Bounds from {Origin} do not broadcast to the input shape plus (lower, upper): [{string.Join(", ", target)}].", nameof(shape));
        double limit = dtype switch { ScalarType.Float32 => float.MaxValue, ScalarType.Float16 => 65504, ScalarType.BFloat16 => 3.38e38, _ => double.MaxValue };
        for (int i = 0; i < _data.Length; i += 2)
            if (Math.Abs(_data[i]) > limit || Math.Abs(_data[i + 1]) > limit || _data[i + 1] - _data[i] > limit)
                throw BoundsError(
                    $"Bounds from {Origin}: entry {i / 2}, [{_data[i]}, {_data[i + 1]}], does not fit the inputs' dtype {dtype} (largest finite value " +
                    $"{limit:G3}), so the points drawn in it would be infinite; give bounds within that range.", "bounds");
        using var scope = NewDisposeScope();
        var full = tensor(_data, _shape).expand(target).to(dtype);
        var lower = full.select(-1, 0).contiguous();
        var upper = full.select(-1, 1).contiguous();
        var width = (upper - lower).MoveToOuterDisposeScope();
        return (lower.MoveToOuterDisposeScope(), width);
    }

    /// <summary>Checks that these bounds broadcast to an input of <paramref name="shape"/>, with a clear error otherwise.</summary>
    public void Validate(long[] shape)
    {
        var target = shape.Append(2L).ToArray();
        if (!Broadcasts(_shape, target))
            throw new ArgumentException(
                $"Bounds from {Origin} do not broadcast to the input shape plus (lower, upper): [{string.Join(", ", target)}].", nameof(shape));
    }

    private static bool Broadcasts(long[] from, long[] to)
    {
        if (from.Length > to.Length) return false;
        for (int i = 1; i <= from.Length; i++)
        {
            long f = from[^i], t = to[^i];
            if (f != t && f != 1) return false;
        }
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Origin;

    private static ArgumentException BoundsError(string message, string argumentName) => new(message, argumentName);
}
