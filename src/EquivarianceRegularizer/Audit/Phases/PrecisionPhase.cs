using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// The float64 re-run that tells rounding from symmetry bugs: run only when the model's dtype is not float64,
/// the end-to-end error is at least approximate, finite, and not explained by the interpolation baseline.
/// </summary>
internal static class PrecisionPhase
{
    public static bool Applies(AuditContext ctx, EndToEndResult endToEnd, InterpolationBaseline? baseline)
    {
        var th = ctx.Thresholds;
        bool withinBaseline = baseline is { } bl && endToEnd.Relative.Max <= th.BaselineFactor * bl.MaxRelative + th.Excellent;
        return ctx.Options.PrecisionCheck && ctx.DType != ScalarType.Float64 && endToEnd.Grade >= ErrorGrade.Approximate && !endToEnd.NonFinite && !withinBaseline;
    }

    /// <summary>Most samples re-run in float64: those with the largest errors in the model's dtype.</summary>
    internal const int MaxSamples = 4;

    /// <summary>
    /// Re-runs in float64 the <see cref="MaxSamples"/> samples with the largest end-to-end errors (<paramref name="data"/>),
    /// under every planned element: a symmetry bug keeps the worst sample's error in float64, rounding does not, so the
    /// other samples add nothing to the verdict but float64 forwards.
    /// </summary>
    public static PrecisionCheck Run(AuditContext ctx, Tensor x, IReadOnlyList<GroupElements> plan, EndToEndData data, double modelMax)
    {
        var model = ctx.Model;
        var saved = ctx.DType;
        long[] worst = WorstSamples(data, x.size(0));
        if (worst.Length < x.size(0))
            ctx.Notes.Add($"Float64 re-run: the {worst.Length} samples with the largest errors (of {x.size(0)}), under every element.");
        var subPlan = worst.Length < x.size(0) ? plan.Select(g => AuditEvaluation.Select(g, worst)).ToList() : null;
        try
        {
            model.ConvertTo(ScalarType.Float64);
            ctx.DType = ScalarType.Float64;
            using var scope = NewDisposeScope();
            using var index = tensor(worst, device: x.device);
            var xs = subPlan is null ? x : x.index_select(0, index);
            var y64 = ctx.Forward(xs);
            var data64 = EndToEndPhase.Measure(ctx, xs, y64, subPlan ?? plan);
            double max64 = data64.MaxRel;
            // Rounding shrinks by ~eps64/eps32 ≈ 2e-9 in float64; a symmetry bug does not shrink at all.
            bool collapsed = max64 * ctx.Thresholds.PrecisionCollapseFactor <= modelMax && max64 < ctx.Thresholds.Perfect;
            return new PrecisionCheck(modelMax, max64, collapsed);
        }
        finally
        {
            ctx.DType = saved;
            model.ConvertTo(saved);
            if (subPlan is not null) foreach (var g in subPlan) g.Dispose();
        }
    }

    /// <summary>The (at most <see cref="MaxSamples"/>) samples whose largest relative error is largest, NaN first, in sample order.</summary>
    private static long[] WorstSamples(EndToEndData data, long n)
    {
        if (n <= MaxSamples) return Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
        var perSample = new double[n];
        for (int i = 0; i < data.Rel.Count; i++)
        {
            int s = data.Index[i].Sample;
            double r = double.IsNaN(data.Rel[i]) ? double.PositiveInfinity : data.Rel[i];
            if (r > perSample[s]) perSample[s] = r;
        }
        return Enumerable.Range(0, (int)n).OrderByDescending(i => perSample[i]).Take(MaxSamples).Order().Select(i => (long)i).ToArray();
    }
}
