using EquivarianceRegularizer.Sampling;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// Draws (or takes) the inputs, plans the group elements, masks inputs for interpolating transforms and checks
/// that the input transform acts on them at all (bad usage, not a model failure).
/// </summary>
internal static class InputsPhase
{
    public static AuditInputs Run(AuditContext ctx)
    {
        var spec = ctx.Spec;
        var x = MakeInputs(ctx);
        var (plan, source) = AuditEvaluation.PlanElements(spec.Input, x.size(0), ctx.Options.RandomDraws, ctx.Generator);
        x = PrepareMask(ctx, x);
        try { using var probe = spec.Input.Apply(x, plan[0]); }
        catch (Exception e) when (AuditContext.IsActionFailure(e))
        {
            // Named after Auditor.Audit's parameter, which is what the user passed.
#pragma warning disable CA2208
            throw new ArgumentException($"The input transform {spec.Input.Name} cannot act on inputs of shape [{string.Join(",", x.shape.Skip(1))}]: {e.Message}", "spec", e);
#pragma warning restore CA2208
        }
        return new AuditInputs(x, plan, source);
    }

    private static Tensor MakeInputs(AuditContext ctx)
    {
        var options = ctx.Options;
        if (options.Inputs is { } given)
        {
            long n = Math.Min(given.size(0), options.Samples);
            ctx.Notes.Add($"Inputs: the first {n} samples of the given data.");
            using var head = given.narrow(0, 0, n);
            return head.to(ScalarType.Float64, copy: true);
        }
        var shape = new[] { (long)options.Samples }.Concat(options.InputShape!).ToArray();
        AllocationGuard.EnsureFits(shape, ScalarType.Float64, "InputShape");
        options.Bounds.Validate(options.InputShape!);
        ctx.Notes.Add($"Inputs: {options.Samples} samples uniform in {options.Bounds.Interval} of shape [{string.Join(",", options.InputShape!)}], seed {options.Seed}.");
        if (ctx.IsInterpolating && shape.Length >= 3)
        {
            // White noise is all high frequency, which no interpolation can transform faithfully: the baseline
            // would be O(1) and hide everything. Draw noise on a 4× coarser grid and upsample it bilinearly.
            long h = shape[^2], w = shape[^1];
            var coarseShape = shape.ToArray();
            coarseShape[^2] = Math.Max(2, h / 4);
            coarseShape[^1] = Math.Max(2, w / 4);
            using var scope = NewDisposeScope();
            var coarse = PointSampling.Sample(MonteCarloSampler.Instance, shape[0], coarseShape[1..], Bounds.UnitCube, ctx.Generator, ScalarType.Float64);
            var flat = coarse.reshape(-1, 1, coarseShape[^2], coarseShape[^1]);
            var smooth = nn.functional.interpolate(flat, new[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: true).reshape(shape);
            ctx.Notes.Add("Random inputs are smooth (uniform noise on a 4× coarser grid, upsampled bilinearly) because the transform interpolates.");
            var (lower, width) = options.Bounds.Resolve(options.InputShape!, ScalarType.Float64);
            return (smooth * width + lower).MoveToOuterDisposeScope();
        }
        // The one input-drawing routine (Sampling/PointSampling), as the regularizer draws its points.
        return PointSampling.Sample(MonteCarloSampler.Instance, shape[0], options.InputShape!, options.Bounds, ctx.Generator, ScalarType.Float64);
    }

    private static Tensor PrepareMask(AuditContext ctx, Tensor x)
    {
        if (!ctx.IsInterpolating || x.Rank() < 3) return x;
        long h = x.size(x.Rank() - 2), w = x.size(x.Rank() - 1);
        double r = Math.Min(h, w) / 2.0 - 1;
        var disk = AuditEvaluation.DiskMask(h, w, r);
        ctx.InputMask = disk;
        ctx.OutputMask = AuditEvaluation.DiskMask(h, w, Math.Max(1, r - 2));
        ctx.Notes.Add($"{ctx.Spec.Input.Name} interpolates: inputs are masked to the central disk (radius {r:0.#} px) so no content leaves the grid; spatial outputs are compared inside radius {Math.Max(1, r - 2):0.#} px.");
        return x * disk;
    }
}
