using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// The random-init baseline: the same architecture with its parameters redrawn, measured on the same inputs and
/// elements. It overwrites the model's parameters; the caller restores them.
/// </summary>
internal static class RandomInitPhase
{
    public static RandomInitBaseline Run(AuditContext ctx, Tensor x, IReadOnlyList<GroupElements> plan, ErrorStats trained)
    {
        using (no_grad())
        using (NewDisposeScope()) // the in-place ops' returned handles
        {
            foreach (var (name, t, isParam) in ctx.Model.State())
            {
                if (!isParam || !t.dtype.IsFloatingPoint()) continue;
                var shape = t.shape;
                if (shape.Length >= 2)
                {
                    long fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                    double bound = 1 / Math.Sqrt(fanIn);
                    t.uniform_(-bound, bound, ctx.Generator);
                }
                else if (name.EndsWith("weight", StringComparison.Ordinal)) t.fill_(1);
                else t.zero_();
            }
        }
        using var scope = NewDisposeScope();
        var yFresh = ctx.Forward(x);
        var data = EndToEndPhase.Measure(ctx, x, yFresh, plan);
        var stats = ErrorStats.Of(data.Rel);
        ctx.Notes.Add("Random-init baseline: the same architecture with parameters redrawn (weights U(±1/√fan_in), biases 0, norm scales 1), same inputs and elements.");
        double ratio = stats.Max > 0 ? trained.Max / stats.Max : double.NaN;
        return new RandomInitBaseline(stats.Max, stats.Mean, ratio);
    }
}
