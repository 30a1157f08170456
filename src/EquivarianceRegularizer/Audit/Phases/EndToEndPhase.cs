using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// The identity sanity check, then f(T x) against T' f(x) over every sample and planned element, with the
/// output compared inside the output mask and a spatial error map for equivariant feature-map outputs.
/// </summary>
internal static class EndToEndPhase
{
    public static EndToEndOutcome Run(AuditContext ctx, AuditInputs inputs)
    {
        var (x, plan) = (inputs.X, inputs.Plan);
        var y = ctx.Forward(x);
        var (identityRel, identityWhat, outputActionError) = IdentityCheck(ctx, x, y);
        EndToEndData? e2e = null;
        if (outputActionError is null)
        {
            try { e2e = Measure(ctx, x, y, plan); }
            catch (Exception e) when (AuditContext.IsActionFailure(e)) { outputActionError = e.Message; }
        }
        if (e2e is null) return new EndToEndOutcome(y, identityRel, outputActionError, null, null);
        int worst = e2e.WorstEntry();
        var (ws, we) = e2e.Index[worst];
        var relStats = ErrorStats.Of(e2e.Rel);
        var result = new EndToEndResult
        {
            Samples = (int)inputs.Count,
            Elements = plan.Count,
            ElementSource = inputs.ElementSource,
            IdentityRelativeError = identityRel,
            IdentityCheck = identityWhat,
            Absolute = ErrorStats.Of(e2e.Abs),
            Relative = relStats,
            Worst = (ws, plan[we].Describe(ws), e2e.Abs[worst], e2e.Rel[worst]),
            RelativeErrors = e2e.Rel.ToArray(),
            MeanOutputNorm = e2e.MeanOutputNorm,
            NonFinite = e2e.NonFinite,
            ErrorMap = e2e.Spatial is { } s ? new SpatialErrorMap("model output", e2e.H, e2e.W, s) : null,
            Grade = ctx.Thresholds.Grade(relStats.Max),
        };
        return new EndToEndOutcome(y, identityRel, null, e2e, result);
    }

    private static (double Rel, string What, string? OutputError) IdentityCheck(AuditContext ctx, Tensor x, Tensor y)
    {
        var spec = ctx.Spec;
        using var scope = NewDisposeScope();
        try
        {
            if (spec.Input.Group is FiniteGroup f)
            {
                using var e = f.Element(0, x.size(0));
                var y1 = ctx.Forward(spec.Input.Apply(x, e));
                var y2 = spec.ActOnOutput(y, e);
                var (_, rel) = AuditEvaluation.Errors(y1, y2);
                return (rel.Max(), $"identity element of {spec.Input.Group}: f(e·x) vs e·f(x)", null);
            }
            var again = ctx.Forward(x);
            var (_, r2) = AuditEvaluation.Errors(again, y);
            return (r2.Max(), "repeated forward f(x) vs f(x) (the group's identity is not enumerable)", null);
        }
        catch (Exception ex) when (AuditContext.IsActionFailure(ex))
        {
            return (double.NaN, "identity check could not run", $"the output action {spec.Output} cannot be applied to outputs of shape [{string.Join(",", y.shape.Skip(1))}]: {ex.Message}");
        }
    }

    /// <summary>Errors of f(T x) against T' f(x) for every sample and element (also used by the precision re-run and the random-init baseline).</summary>
    public static EndToEndData Measure(AuditContext ctx, Tensor x, Tensor y, IReadOnlyList<GroupElements> plan)
    {
        var spec = ctx.Spec;
        using var scope = NewDisposeScope();
        var data = new EndToEndData();
        bool yFinite = y.all_finite();
        data.NonFinite = !yFinite;
        data.MeanOutputNorm = AuditEvaluation.PerSampleNorm(y).Average();
        // The shared evaluation (Evaluation/EquivarianceEvaluator.cs) runs model(ρ_in(g)·x) for every planned element, acting in
        // float64 and batched unless training-mode normalization would see the concatenation; the audit measures the result.
        using var nograd = no_grad();
        var kernelModel = new EvaluatedModel(ctx.Model.Forward, ctx.DType, null, ActInInputDtype: true, Device: ctx.Model.Device);
        // A quarter of the audit's budget per forward: batches of several samples even for 224×224 inputs. Where a
        // forward holds more inside its layers than they take in and give out (an attention over pixel tokens), the
        // batches are sized from that.
        var (capture, inside) = ctx.MeasurableBytesPerSample(x);
        double inputBytes = (double)x.numel() / Math.Max(1, x.size(0)) * ctx.DType.ElementSize();
        var options = new EvaluationOptions
        {
            Batched = !ctx.Model.Training, NormLayers = NormLayerMode.Unchanged, ThrowOnNonFinite = false,
            MemoryBudgetBytes = Math.Max(14L << 20, ctx.Options.MemoryBudgetBytes / 4),
        };
        if (inside > capture) options = options with { ActivationBytesPerInputByte = Math.Max(options.ActivationBytesPerInputByte, (capture + inside) / inputBytes) };
        var symmetries = Enumerable.Repeat(spec, plan.Count).ToArray();
        EvaluationResult result;
        try { result = EquivarianceEvaluator.Evaluate(kernelModel, x, symmetries, Distance.L2, null, plan, options, y); }
        catch (InvalidOperationException) when (options.Batched)
        {
            // A model that cannot take the concatenated batch (a fixed batch size in its code) runs once per element.
            result = EquivarianceEvaluator.Evaluate(kernelModel, x, symmetries, Distance.L2, null, plan, options with { Batched = false }, y);
        }
        using var owned = result;
        for (int k = 0; k < plan.Count; k++)
        {
            using var inner = NewDisposeScope();
            var y1 = ctx.Masked(result.TransformedOutputs[k]);
            var y2 = ctx.Masked(spec.ActOnOutput(y, plan[k]));
            if (!y1.all_finite()) data.NonFinite = true;
            var (abs, rel) = AuditEvaluation.Errors(y1, y2);
            for (int i = 0; i < abs.Length; i++)
            {
                data.Abs.Add(abs[i]);
                data.Rel.Add(rel[i]);
                data.Index.Add((i, k));
            }
            if (!spec.IsInvariant && AuditEvaluation.SpatialAbsSum(y1, y2, out int h, out int w) is { } s)
            {
                if (data.Spatial is null) { data.Spatial = new double[s.Length]; data.H = h; data.W = w; }
                if (data.Spatial.Length == s.Length) for (int i = 0; i < s.Length; i++) data.Spatial[i] += s[i];
            }
        }
        if (data.Spatial is { } sp)
        {
            double denom = (double)x.size(0) * plan.Count * (y.numel() / Math.Max(1, y.size(0)) / (data.H * (double)data.W));
            for (int i = 0; i < sp.Length; i++) sp[i] /= denom;
        }
        return data;
    }
}
