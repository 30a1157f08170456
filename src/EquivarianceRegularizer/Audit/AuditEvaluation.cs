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
    /// <summary>Per-sample L2 norm over all non-batch axes, in float64.</summary>
    public static double[] PerSampleNorm(Tensor t)
    {
        using var scope = NewDisposeScope();
        var f = t.to(ScalarType.Float64);
        if (f.Rank() == 0) return new[] { Math.Abs(f.ToDouble()) };
        if (f.Rank() == 1) return f.abs().data<double>().ToArray();
        // The regularizer's distance: the same per-sample L2 that training penalizes.
        return Distance.L2.Norm(f).data<double>().ToArray();
    }

    /// <summary>Relative errors ‖a−b‖/‖b‖ per sample; 0/0 is 0, x/0 is ∞.</summary>
    public static (double[] Abs, double[] Rel) Errors(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new InvalidOperationException($"Shapes differ: [{string.Join(",", actual.shape)}] vs [{string.Join(",", expected.shape)}].");
        var a = actual.to(ScalarType.Float64);
        var b = expected.to(ScalarType.Float64);
        double[] abs = PerSampleNorm(a - b);
        double[] refn = PerSampleNorm(b);
        var rel = new double[abs.Length];
        for (int i = 0; i < abs.Length; i++)
            rel[i] = refn[i] > 0 ? abs[i] / refn[i] : abs[i] == 0 ? 0 : double.IsNaN(abs[i]) ? double.NaN : double.PositiveInfinity;
        return (abs, rel);
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
    /// </summary>
    public static (double[] Rel, double[]? Spatial, int H, int W) CompareLayer(Tensor actual, Tensor expected, Tensor input, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new InvalidOperationException($"Shapes differ: [{string.Join(",", actual.shape)}] vs [{string.Join(",", expected.shape)}].");
        var d = actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64);
        var rel = Relative(PerSampleNorm(d), PerSampleNorm(expected), PerSampleNorm(input), dtype);
        if (d.Rank() < 3 || d.size(d.Rank() - 2) < 2 || d.size(d.Rank() - 1) < 2) return (rel, null, 0, 0);
        int h = (int)d.size(d.Rank() - 2), w = (int)d.size(d.Rank() - 1);
        var lead = Enumerable.Range(0, d.Rank() - 2).Select(i => (long)i).ToArray();
        return (rel, d.abs().nan_to_num(0, 0, 0).sum(lead).data<double>().ToArray(), h, w);
    }

    /// <summary>Sum over batch and leading axes of |a−b| on the last two axes (for spatial maps); null when not a feature map.</summary>
    public static double[]? SpatialAbsSum(Tensor actual, Tensor expected, out int h, out int w)
    {
        h = w = 0;
        if (actual.Rank() < 3) return null;
        using var scope = NewDisposeScope();
        var d = (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs();
        var shape = d.shape;
        h = (int)shape[^2];
        w = (int)shape[^1];
        if (h < 2 || w < 2) return null;
        var lead = Enumerable.Range(0, d.Rank() - 2).Select(i => (long)i).ToArray();
        return d.nan_to_num(0, 0, 0).sum(lead).data<double>().ToArray();
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
