using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// The audit's small evaluation helpers (per-sample distances, masks, element plans), each using the regularizer's
/// distances, so that the audit measures what training penalizes.
/// </summary>
internal static class AuditEvaluation
{
    /// <summary>
    /// Per-sample L2 norm over all non-batch axes, as float64. A float32 tensor is not copied to float64: it is reduced in
    /// blocks of at most <see cref="NormBlock"/> entries in float32 and the block norms are combined in float64 (a block's
    /// sum of squares has a relative error of order 1e-6 at worst); samples whose norm is so small or large that float32
    /// squares underflow or overflow are recomputed in float64.
    /// </summary>
    public static double[] PerSampleNorm(Tensor t)
    {
        using var scope = NewDisposeScope();
        if (t.Rank() == 0) return new[] { Math.Abs(t.to(ScalarType.Float64).ToDouble()) };
        if (t.Rank() == 1) return t.to(ScalarType.Float64).abs().data<double>().ToArray();
        if (t.dtype == ScalarType.Float32 && BlockNorms(t) is { } fast) return fast;
        // The regularizer's distance: the same per-sample L2 that training penalizes.
        return Distance.L2.Norm(t.to(ScalarType.Float64)).data<double>().ToArray();
    }

    /// <summary>Most entries one float32 block sum sees in <see cref="PerSampleNorm"/>.</summary>
    internal const long NormBlock = 4096;

    // Per-sample norms from float32 block norms combined in float64; null when the per-sample size has no block length
    // of at least 64 dividing it, or when a norm leaves the range where float32 squares are exact enough.
    private static double[]? BlockNorms(Tensor t)
    {
        long b = t.size(0), n = t.numel() / Math.Max(1, b);
        if (b == 0 || n == 0) return null;
        long k = Math.Min(n, NormBlock);
        while (n % k != 0) k--;
        if (k < 64 && k < n) return null;
        using var flat = t.reshape(b, n / k, k);
        using var blocks = linalg.vector_norm(flat, 2, new long[] { 2 });
        using var blocks64 = blocks.to(ScalarType.Float64);
        using var norms = linalg.vector_norm(blocks64, 2, new long[] { 1 });
        var result = norms.data<double>().ToArray();
        // Below ~1e-15 squares of entries may fall under float32's normal range; above ~1e15 they may overflow.
        foreach (var v in result) if (!(v >= 1e-15 && v <= 1e15) && !double.IsNaN(v)) return null;
        return result;
    }

    /// <summary>Relative errors ‖a−b‖/‖b‖ per sample; 0/0 is 0, x/0 is ∞. <paramref name="expectedNorms"/>, when given, are ‖b‖ per sample already known.</summary>
    public static (double[] Abs, double[] Rel) Errors(Tensor actual, Tensor expected, double[]? expectedNorms = null)
    {
        using var scope = NewDisposeScope();
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new InvalidOperationException($"Shapes differ: [{string.Join(",", actual.shape)}] vs [{string.Join(",", expected.shape)}].");
        double[] abs = PerSampleNorm(Difference(actual, expected));
        double[] refn = expectedNorms ?? PerSampleNorm(expected);
        var rel = new double[abs.Length];
        for (int i = 0; i < abs.Length; i++)
            rel[i] = refn[i] > 0 ? abs[i] / refn[i] : abs[i] == 0 ? 0 : double.IsNaN(abs[i]) ? double.NaN : double.PositiveInfinity;
        return (abs, rel);
    }

    /// <summary>
    /// <paramref name="actual"/> − <paramref name="expected"/>, in their dtype when they share it (float32 differences of
    /// close values are exact), else in float64.
    /// </summary>
    private static Tensor Difference(Tensor actual, Tensor expected) =>
        actual.dtype == expected.dtype && actual.is_floating_point() ? actual - expected : actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64);

    /// <summary>Σ |d| over every axis but the last two, as float64, from one reduction of <paramref name="d"/>; a pixel whose sum is not finite reads 0.</summary>
    private static double[] PixelAbsSum(Tensor d)
    {
        var lead = Enumerable.Range(0, d.Rank() - 2).Select(i => (long)i).ToArray();
        using var sum = linalg.vector_norm(d, 1, lead);
        using var sum64 = sum.to(ScalarType.Float64);
        using var clean = sum64.nan_to_num(0, 0, 0);
        return clean.data<double>().ToArray();
    }

    /// <summary>
    /// Per-sample relative errors of a layer: ‖a−b‖ / max(‖b‖, ε^{1/3}·‖u‖) with u the layer's (transformed) input.
    /// A layer whose output cancels to nearly zero (a mean of zero-mean rows) would otherwise turn rounding noise
    /// of order ε‖u‖ into a large "relative" error.
    /// </summary>
    public static double[] LayerRelativeErrors(Tensor actual, Tensor expected, Tensor input, ScalarType dtype)
    {
        var (abs, _) = Errors(actual, expected);
        return Relative(abs, PerSampleNorm(expected), PerSampleNorm(input), dtype);
    }

    // abs / max(‖reference‖, ε^{1/3}·‖input‖) per sample; 0/0 is 0, x/0 is +∞, NaN stays NaN.
    private static double[] Relative(double[] abs, double[] refn, double[] inn, ScalarType dtype)
    {
        double eps = dtype == ScalarType.Float64 ? 2.220446049250313e-16 : 1.1920928955078125e-7;
        double scale = Math.Cbrt(eps);
        var rel = new double[abs.Length];
        for (int i = 0; i < abs.Length; i++)
        {
            double denom = Math.Max(refn[i], scale * (i < inn.Length ? inn[i] : 0));
            rel[i] = denom > 0 ? abs[i] / denom : abs[i] == 0 ? 0 : double.IsNaN(abs[i]) ? double.NaN : double.PositiveInfinity;
        }
        return rel;
    }

    /// <summary>
    /// One pass over a layer comparison: the per-sample relative errors of <see cref="LayerRelativeErrors"/> and,
    /// for feature maps, the |error| summed over batch and channels per pixel (from the same difference tensor).
    /// <paramref name="expectedNorms"/> and <paramref name="inputNorms"/>, when given, are ‖b‖ and ‖u‖ per sample already
    /// known (an action that only moves entries keeps the norms of the tensors it acts on).
    /// </summary>
    public static (double[] Rel, double[]? Spatial, int H, int W) CompareLayer(Tensor actual, Tensor expected, Tensor input, ScalarType dtype,
        double[]? expectedNorms = null, double[]? inputNorms = null)
    {
        using var scope = NewDisposeScope();
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new InvalidOperationException($"Shapes differ: [{string.Join(",", actual.shape)}] vs [{string.Join(",", expected.shape)}].");
        var d = Difference(actual, expected);
        var rel = Relative(PerSampleNorm(d), expectedNorms ?? PerSampleNorm(expected), inputNorms ?? PerSampleNorm(input), dtype);
        if (d.Rank() < 3 || d.size(d.Rank() - 2) < 2 || d.size(d.Rank() - 1) < 2) return (rel, null, 0, 0);
        int h = (int)d.size(d.Rank() - 2), w = (int)d.size(d.Rank() - 1);
        return (rel, PixelAbsSum(d), h, w);
    }

    /// <summary>Sum over batch and leading axes of |a−b| on the last two axes (for spatial maps); null when not a feature map.</summary>
    public static double[]? SpatialAbsSum(Tensor actual, Tensor expected, out int h, out int w)
    {
        h = w = 0;
        if (actual.Rank() < 3) return null;
        using var scope = NewDisposeScope();
        h = (int)actual.size(-2);
        w = (int)actual.size(-1);
        if (h < 2 || w < 2) return null;
        return PixelAbsSum(Difference(actual, expected));
    }

    /// <summary>A 0/1 disk mask of radius <paramref name="radius"/> pixels centred on an H×W grid.</summary>
    public static Tensor DiskMask(long h, long w, double radius)
    {
        var m = new double[h * w];
        double ci = (h - 1) / 2.0, cj = (w - 1) / 2.0;
        for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++)
            m[i * w + j] = (i - ci) * (i - ci) + (j - cj) * (j - cj) <= radius * radius ? 1 : 0;
        return tensor(m, new[] { h, w });
    }

    /// <summary>The elements the group of <paramref name="t"/> chooses to test (<see cref="Group.TestingElements"/>), and how they were chosen.</summary>
    public static (List<GroupElements> Plan, string Source) PlanElements(IGroupTransform t, long batch, int draws, Generator gen)
    {
        if (t.Group.IsTrivial) throw new ArgumentException($"{t.Name} is the trivial group: there is nothing to test.", nameof(t));
        var plan = t.Group.TestingElements(batch, draws, gen).ToList();
        return (plan, t.Group is FiniteGroup f
            ? $"all {f.Order - 1} non-identity elements of {t.Group} (enumerated)"
            : $"{draws} draw(s) of random non-identity elements of {t.Group} per sample");
    }

    /// <summary>The rows of samples <paramref name="samples"/> of <paramref name="g"/>, in that order (same group; descriptions keep the samples' own indices).</summary>
    public static GroupElements Select(GroupElements g, long[] samples)
    {
        using var index = tensor(samples, device: g.Values.device);
        var parts = g.Parts.Select(p => Select(p, samples)).ToList();
        return new GroupElements(g.Group, g.Values.index_select(0, index), i => g.Describe((int)samples[i]), parts);
    }

    /// <summary>The rows <paramref name="count"/> first samples of <paramref name="g"/> (same group).</summary>
    public static GroupElements Head(GroupElements g, long count)
    {
        if (count >= g.BatchSize) return new GroupElements(g.Group, g.Values.view(g.Values.shape), i => g.Describe(i), g.Parts.Select(p => Head(p, p.BatchSize)).ToList());
        var parts = g.Parts.Select(p => Head(p, count)).ToList();
        return new GroupElements(g.Group, g.Values.narrow(0, 0, count), i => g.Describe(i), parts);
    }

    /// <summary>The rows of samples <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of <paramref name="g"/> (same group; descriptions keep the samples' own indices).</summary>
    public static GroupElements Slice(GroupElements g, long start, long count)
    {
        if (start == 0) return Head(g, count);
        var parts = g.Parts.Select(p => Slice(p, start, count)).ToList();
        return new GroupElements(g.Group, g.Values.narrow(0, start, count), i => g.Describe((int)(i + start)), parts);
    }
}
