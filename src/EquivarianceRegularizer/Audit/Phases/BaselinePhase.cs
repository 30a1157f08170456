using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// The interpolation baseline: the relative error of transforming the inputs there and back, which no model
/// can beat with an interpolating transform. Null for transforms exact on the grid.
/// </summary>
internal static class BaselinePhase
{
    public static InterpolationBaseline? Run(AuditContext ctx, Tensor x, IReadOnlyList<GroupElements> plan)
    {
        if (!ctx.IsInterpolating) return null;
        var spec = ctx.Spec;
        using var scope = NewDisposeScope();
        var rels = new List<double>();
        foreach (var g in plan)
        {
            using var inv = g.Group.Inverse(g);
            var back = spec.Input.Apply(spec.Input.Apply(x, g), inv);
            var (_, rel) = AuditEvaluation.Errors(ctx.Masked(back), ctx.Masked(x));
            rels.AddRange(rel);
        }
        string mask = ctx.OutputMask is null ? "whole tensor" : "central disk";
        return new InterpolationBaseline(rels.Average(), rels.Max(), mask);
    }
}
