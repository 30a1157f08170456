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

    public static PrecisionCheck Run(AuditContext ctx, Tensor x, IReadOnlyList<GroupElements> plan, double modelMax)
    {
        var model = ctx.Model;
        var saved = ctx.DType;
        try
        {
            model.ConvertTo(ScalarType.Float64);
            ctx.DType = ScalarType.Float64;
            using var scope = NewDisposeScope();
            var y64 = ctx.Forward(x);
            var data = EndToEndPhase.Measure(ctx, x, y64, plan);
            double max64 = data.MaxRel;
            // Rounding shrinks by ~eps64/eps32 ≈ 2e-9 in float64; a symmetry bug does not shrink at all.
            bool collapsed = max64 * ctx.Thresholds.PrecisionCollapseFactor <= modelMax && max64 < ctx.Thresholds.Perfect;
            return new PrecisionCheck(modelMax, max64, collapsed);
        }
        finally
        {
            ctx.DType = saved;
            model.ConvertTo(saved);
        }
    }
}
