using EquivarianceRegularizer.Transforms;
using EquivarianceRegularizer.Differentiation;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// The gradient test: ∇(ℓ∘f)(T x) against T ∇(ℓ∘f)(x) for ℓ = ½‖·‖² (invariant under orthogonal output actions),
/// refusing to judge gradients that are rounding noise (float32 gradients that float64 does not confirm). Also records each layer's mean ‖∂ℓ/∂output‖ for the layer table.
/// </summary>
internal static class GradientPhase
{
    /// <summary>Runs the test over <paramref name="xs"/> chunk by chunk (<paramref name="chunks"/>); only input gradients (the inputs' size) outlive a chunk.</summary>
    public static GradientResult Run(AuditContext ctx, Tensor xs, IReadOnlyList<GroupElements> plan, Dictionary<string, double> layerNorms, SampleChunks chunks)
    {
        var spec = ctx.Spec;
        var th = ctx.Thresholds;
        using var scope = NewDisposeScope();
        GradientResult? early = null;
        if (ctx.IsInterpolating)
            early = new GradientResult { Judged = false, Applicable = false, NotJudgedReason = $"{spec.Input.Name} interpolates: input gradients transform by its adjoint, which is not the transform itself; judge gradients with an exact transform." };
        var parts = new List<Tensor>();
        var loss = new List<double>();
        var normSums = new Dictionary<string, (double Sum, long Count)>(StringComparer.Ordinal);
        try
        {
            foreach (var (start, length) in chunks.Ranges)
            {
                using var inner = NewDisposeScope();
                var (g, l, norms) = InputGradient(ctx, xs.narrow(0, start, length), withLayers: true);
                parts.Add(g.MoveToOuterDisposeScope());
                loss.AddRange(l);
                foreach (var (name, mean) in norms)
                {
                    var (sum, count) = normSums.TryGetValue(name, out var acc) ? acc : (0.0, 0L);
                    normSums[name] = (sum + mean * length, count + length);
                }
                inner.DisposeEverything();
                HeapTrim.Now();
            }
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
        {
            return new GradientResult { Judged = false, NotJudgedReason = "the model could not be differentiated: " + e.Message };
        }
        foreach (var (name, (sum, count)) in normSums) layerNorms[name] = sum / count;
        if (early is not null) return early;
        var gx = parts.Count == 1 ? parts[0] : cat(parts);
        double[] norms0 = AuditEvaluation.PerSampleNorm(gx);
        double median = Median(norms0);
        if (ctx.DType == ScalarType.Float64)
        {
            // No wider dtype to compare with: gradients below the float64 floor are taken as rounding noise.
            double floor = th.GradientFloor * (1 + Math.Abs(Median(loss.ToArray())));
            if (!(median > floor))
            {
                return new GradientResult
                {
                    Judged = false, MedianGradientNorm = median, Floor = floor,
                    NotJudgedReason = $"input gradients sit at the numerical floor (median ‖∇ₓℓ‖ = {median:0.##e+0} ≤ {floor:0.##e+0}): their direction is rounding noise, so comparing them would test noise, not the model. Refusing to judge; use inputs where the loss is not saturated or flat.",
                };
            }
            return Judge(ctx, xs, plan, chunks, gx, median, floor);
        }
        // Small is not noise: the same gradients in float64 tell whether these are the model's or rounding's.
        var (m, disagreement, rounding, zero) = Float64Agreement(ctx, xs);
        if (zero)
        {
            return new GradientResult
            {
                Judged = false, MedianGradientNorm = median, Floor = rounding,
                NotJudgedReason = "input gradients are exactly zero, in float64 as well (the loss does not depend on the inputs): there is nothing to compare.",
            };
        }
        if (!(disagreement <= th.Approximate))
        {
            return new GradientResult
            {
                Judged = false, MedianGradientNorm = median, Floor = rounding,
                NotJudgedReason = $"input gradients are rounding noise: on {m} sample(s) they differ from the same gradients computed in float64 by {disagreement:0.##e+0} (relative, above {th.Approximate:0.##e+0}), so comparing them would test rounding, not the model. Refusing to judge; audit in float64 (--dtype float64) to judge gradients.",
            };
        }
        if (!(median > th.GradientFloor * (1 + Math.Abs(Median(loss.ToArray())))))
            ctx.Notes.Add($"Gradient test: the input gradients are small (median ‖∇ₓℓ‖ = {median:0.##e+0}) but not noise: on {m} sample(s) they agree with float64's to {disagreement:0.##e+0}, so they are judged.");
        return Judge(ctx, xs, plan, chunks, gx, median, rounding);
    }

    /// <summary>Samples whose input gradients are recomputed in float64 to tell small gradients from rounding noise.</summary>
    internal const int Float64Samples = 2;

    /// <summary>
    /// The first <see cref="Float64Samples"/> samples' input gradients in the model's dtype and in float64: the largest
    /// relative difference, the median absolute difference (the gradients' rounding level), and whether both are exactly zero.
    /// </summary>
    private static (long Samples, double Disagreement, double Rounding, bool Zero) Float64Agreement(AuditContext ctx, Tensor xs)
    {
        using var scope = NewDisposeScope();
        // In train mode a sample's gradient depends on its batch: both dtypes run on the same few samples.
        long m = ctx.Model.Training ? xs.size(0) : Math.Min(xs.size(0), Float64Samples);
        var x = xs.narrow(0, 0, m);
        var (g32, _, _) = InputGradient(ctx, x, withLayers: false);
        var model = ctx.Model;
        var saved = ctx.DType;
        Tensor g64;
        try
        {
            model.ConvertTo(ScalarType.Float64);
            ctx.DType = ScalarType.Float64;
            (g64, _, _) = InputGradient(ctx, x, withLayers: false);
        }
        finally
        {
            ctx.DType = saved;
            model.ConvertTo(saved);
        }
        var (abs, rel) = AuditEvaluation.Errors(g32, g64);
        bool zero = AuditEvaluation.PerSampleNorm(g64).All(v => v == 0) && abs.All(v => v == 0);
        double worst = rel.Any(double.IsNaN) ? double.NaN : rel.Max();
        return (m, worst, Median(abs), zero);
    }

    private static GradientResult Judge(AuditContext ctx, Tensor xs, IReadOnlyList<GroupElements> plan, SampleChunks chunks, Tensor gx, double median, double floor)
    {
        var spec = ctx.Spec;
        var th = ctx.Thresholds;
        var rels = new List<double>();
        foreach (var g in plan)
        {
            foreach (var (start, length) in chunks.Ranges)
            {
                using var inner = NewDisposeScope();
                using var gc = AuditEvaluation.Slice(g, start, length);
                var (gt, _, _) = InputGradient(ctx, spec.Input.Apply(xs.narrow(0, start, length), gc), withLayers: false);
                var expected = spec.Input.Apply(gx.narrow(0, start, length), gc);
                rels.AddRange(AuditEvaluation.Errors(gt, expected).Rel);
            }
        }
        var stats = ErrorStats.Of(rels);
        return new GradientResult { Judged = true, Relative = stats, MedianGradientNorm = median, Floor = floor, Grade = th.Grade(stats.Max) };
    }

    private static (Tensor Grad, double[] Loss, Dictionary<string, double> LayerNorms) InputGradient(AuditContext ctx, Tensor x64, bool withLayers)
    {
        using var scope = NewDisposeScope();
        using var _ = enable_grad();
        var xin = x64.to(ctx.DType, copy: true).requires_grad_();
        Tensor y;
        IReadOnlyList<ModuleCall> caps = Array.Empty<ModuleCall>();
        if (withLayers)
        {
            var observed = ctx.Model.Observe(xin, probes: true);
            (y, caps) = (observed.Output, observed.Calls);
        }
        else y = ctx.Model.Forward(xin);
        var sq = y.to(ScalarType.Float64) * y.to(ScalarType.Float64);
        var perSample = sq.Rank() > 1 ? sq.flatten(1).sum(new long[] { 1 }) * 0.5 : sq * 0.5;
        var loss = perSample.sum();
        var targets = new List<Tensor> { xin };
        var names = new List<string>();
        foreach (var c in caps)
            if (c.GradientTarget is { requires_grad: true } o) { targets.Add(o); names.Add(c.Name); }
        var grads = Gradients.Of(loss, targets);
        var layerNorms = new Dictionary<string, double>();
        for (int i = 0; i < names.Count; i++)
            if (grads[i + 1] is { } g) layerNorms[names[i]] = AuditEvaluation.PerSampleNorm(g).Average();
        var gx = grads[0] is { } g0 ? g0.to(ScalarType.Float64, copy: true) : zeros_like(x64);
        return (gx.MoveToOuterDisposeScope(), perSample.data<double>().ToArray(), layerNorms);
    }

    private static double Median(double[] v)
    {
        if (v.Length == 0) return double.NaN;
        var s = v.OrderBy(a => a).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
