using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// Layer-wise isolation: every layer call's own error ‖L(ρ u) − ρ' L(u)‖ (the layer run alone on the transformed
/// input, or, where it cannot be called alone, the growth of the error across it from the archive's taps), its
/// cumulative error along the model, norms and error map; declared layers never called are listed as such.
/// </summary>
internal static class LayerPhase
{
    private static LayerAction DefaultAction(Symmetry spec, Tensor t, long[] modelOutputShape, int inputRank)
    {
        bool isOutputShaped = t.shape.Skip(1).SequenceEqual(modelOutputShape.Skip(1));
        if (!spec.IsInvariant && isOutputShaped && t.Rank() != inputRank) return LayerAction.By(spec.Output);
        // Same rank, maybe another resolution (after a stride or pooling): a shift maps through the change of resolution.
        if (t.Rank() == inputRank)
            return LayerAction.By(spec.Input is IResolutionAware aware && aware.AtResolutionOf(t) is { } mapped ? mapped : spec.Input);
        if (t.Rank() < inputRank) return LayerAction.Invariant;
        return LayerAction.NotTestable($"its rank {t.Rank() - 1} exceeds the input's {inputRank - 1}; give a per-layer action");
    }

    private static LayerAction Checked(LayerAction a, Tensor t, GroupElements g)
    {
        if (a.NotTestableReason is not null) return a;
        try { using var probe = a.Apply(t, g); return a; }
        catch (Exception e) when (AuditContext.IsActionFailure(e))
        {
            // ArgumentException.Message ends with " (Parameter 'x')": .NET's, not the user's.
            string why = e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
            return LayerAction.NotTestable($"{a} cannot act on shape [{string.Join(",", t.shape.Skip(1))}] ({why.FirstLine()})");
        }
    }

    public static List<LayerResult> Run(AuditContext ctx, Tensor xs, List<GroupElements> plan, Dictionary<string, double> gradNorms)
    {
        var (model, spec, options) = (ctx.Model, ctx.Spec, ctx.Options);
        using var scope = NewDisposeScope();
        var (yBase, baseCaps) = ctx.Capture(xs);
        var transformed = plan.Select(g => ctx.Capture(spec.Input.Apply(xs, g)).Layers).ToList();
        var results = new List<LayerResult>();
        var declared = model.DeclaredLayers;
        var containers = new HashSet<string>(declared.Where(d => d.IsContainer).Select(d => d.Name));
        var called = new HashSet<string>();
        foreach (var (name, cap) in baseCaps)
        {
            using var inner = NewDisposeScope();
            called.Add(cap.Name);
            string baseName = cap.Name;
            bool container = containers.Contains(baseName);
            if (cap.Input is null || cap.Output is null)
            {
                results.Add(new LayerResult { Name = name, TypeName = cap.TypeName, IsContainer = container, NotTestableReason = cap.Input is null ? "its input is not a single tensor" : "its output is not a single tensor" });
                continue;
            }
            var inShape = cap.Input.shape;
            var outShape = cap.Output.shape;
            LayerAction inAct, outAct;
            if (options.LayerActions.TryGetValue(baseName, out var ov) || options.LayerActions.TryGetValue(name, out ov))
            {
                (inAct, outAct) = ov.Symmetry is { } layerSymmetry
                    ? (LayerAction.By(layerSymmetry.Input), layerSymmetry.IsInvariant ? LayerAction.Invariant : LayerAction.By(layerSymmetry.Output))
                    : (LayerAction.NotTestable(ov.NotTestableReason!), LayerAction.NotTestable(ov.NotTestableReason!));
            }
            else
            {
                inAct = DefaultAction(spec, cap.Input, yBase.shape, xs.Rank());
                outAct = DefaultAction(spec, cap.Output, yBase.shape, xs.Rank());
            }
            // A layer the model calls on part of the batch (one sample at a time, say) cannot be paired with the
            // group elements drawn per sample of the whole batch.
            if (cap.Input.size(0) != xs.size(0) || cap.Output.size(0) != xs.size(0))
            {
                long seen = cap.Input.size(0) != xs.size(0) ? cap.Input.size(0) : cap.Output.size(0);
                inAct = LayerAction.NotTestable($"the model calls it on batches of {seen}, not on the {xs.size(0)} samples together, so the group elements drawn per sample cannot be matched to its inputs");
            }
            inAct = Checked(inAct, cap.Input, plan[0]);
            outAct = Checked(outAct, cap.Output, plan[0]);
            bool nonFinite = !cap.Output.all_finite();
            double actNorm = AuditKernels.PerSampleNorm(cap.Output).Average();
            double gradNorm = gradNorms.TryGetValue(name, out var gn) ? gn : double.NaN;
            string? reason = inAct.NotTestableReason is { } ri ? "input: " + ri : outAct.NotTestableReason is { } ro ? "output: " + ro : null;
            var fn = model.LayerFunction(baseName);
            // Cumulative error along the model (available whenever the output action is known).
            var cumulative = new List<double>();
            var inputErr = new List<double>();
            var own = new List<double>();
            double[]? spatial = null; int h = 0, w = 0;
            bool shapeMismatch = false;
            double layerBaseline = 0;
            // Float64 copies once per layer; permutation-type actions are exact in any dtype and skip them.
            var in64 = ExactAction(inAct) ? cap.Input : cap.Input.to(ScalarType.Float64);
            var out64 = ExactAction(outAct) ? cap.Output : cap.Output.to(ScalarType.Float64);
            Tensor? maskedIn = null, maskedOut = null;
            for (int k = 0; k < plan.Count && outAct.NotTestableReason is null; k++)
            {
                var match = transformed[k].FirstOrDefault(t => t.Name == name).Capture;
                if (match?.Output is not null)
                {
                    var expected = outAct.Apply(out64, plan[k]);
                    if (expected.shape.SequenceEqual(match.Output.shape)) cumulative.AddRange(AuditKernels.Errors(match.Output, expected).Rel);
                    if (fn is null && inAct.NotTestableReason is null && match.Input is not null)
                    {
                        var expIn = inAct.Apply(in64, plan[k]);
                        if (expIn.shape.SequenceEqual(match.Input.shape)) inputErr.AddRange(AuditKernels.Errors(match.Input, expIn).Rel);
                    }
                }
                if (reason is null && fn is not null)
                {
                    using var _ = no_grad();
                    var u = in64;
                    var baseOut = out64;
                    if (ctx.InputMask is { } im && u.Rank() >= 3 && u.size(u.Rank() - 2) == im.size(0) && u.size(u.Rank() - 1) == im.size(1))
                    {
                        // Interpolating transforms lose what leaves the grid: test the layer on its input restricted to the disk.
                        maskedIn ??= (cap.Input * im.to(cap.Input.dtype)).to(ScalarType.Float64);
                        maskedOut ??= fn(maskedIn.to(cap.Input.dtype)).to(ScalarType.Float64);
                        u = maskedIn;
                        baseOut = maskedOut;
                    }
                    var uT = inAct.Apply(u, plan[k]).to(cap.Input.dtype);
                    var o1 = ctx.Masked(fn(uT));
                    var o2 = ctx.Masked(outAct.Apply(baseOut, plan[k]));
                    if (!o1.shape.SequenceEqual(o2.shape)) { shapeMismatch = true; break; }
                    if (ctx.IsInterpolating) layerBaseline = Math.Max(layerBaseline, Math.Max(RoundTrip(ctx, inAct, cap.Input, plan[k]), RoundTrip(ctx, outAct, cap.Output, plan[k])));
                    var (rel, s, hh, ww) = AuditKernels.CompareLayer(o1, o2, uT, cap.Input.dtype);
                    own.AddRange(rel);
                    if (s is not null)
                    {
                        h = hh;
                        w = ww;
                        spatial ??= new double[s.Length];
                        if (spatial.Length == s.Length) for (int i = 0; i < s.Length; i++) spatial[i] += s[i];
                    }
                }
            }
            if (shapeMismatch) reason = $"the layer maps T(input) to a different shape than T(output) (e.g. rot90 on a non-square map)";
            string method = "isolated";
            if (reason is null && fn is null)
            {
                // Not callable alone (TorchScript): estimate the layer's own error as the growth of the error across it.
                method = "taps";
                if (cumulative.Count > 0)
                {
                    double inMax = inputErr.Count > 0 ? inputErr.Where(double.IsFinite).DefaultIfEmpty(0).Max() : 0;
                    own.AddRange(cumulative.Select(c => double.IsFinite(c) ? Math.Max(0, c - inMax) : c));
                }
                else reason = "no captured activation at T(x) to compare with";
            }
            SpatialErrorMap? map = null;
            if (spatial is not null && h > 0)
            {
                double denom = plan.Count * (double)cap.Output.numel() / (h * (double)w);
                map = new SpatialErrorMap(name, h, w, spatial.Select(v => v / denom).ToArray());
            }
            var ownStats = own.Count > 0 ? ErrorStats.Of(own) : null;
            results.Add(new LayerResult
            {
                Name = name,
                TypeName = cap.TypeName,
                IsContainer = container,
                NotTestableReason = reason,
                InputAction = inAct.ToString(),
                OutputAction = outAct.ToString(),
                Method = reason is null ? method : "",
                InputShape = inShape.Skip(1).ToArray(),
                OutputShape = outShape.Skip(1).ToArray(),
                OwnMaxRelative = ownStats?.Max ?? double.NaN,
                OwnMeanRelative = ownStats?.Mean ?? double.NaN,
                CumulativeMaxRelative = cumulative.Count > 0 ? ErrorStats.Of(cumulative).Max : double.NaN,
                ActivationNorm = actNorm,
                GradientNorm = gradNorm,
                NonFinite = nonFinite,
                Grade = reason is null && ownStats is not null ? LayerGrade(ctx.Thresholds, ownStats.Max, layerBaseline) : null,
                InterpolationBaseline = ctx.IsInterpolating ? layerBaseline : double.NaN,
                ErrorMap = map,
            });
        }
        foreach (var d in declared.Where(d => !called.Contains(d.Name)))
            results.Add(new LayerResult { Name = d.Name, TypeName = d.TypeName, IsContainer = d.IsContainer, NotTestableReason = "not called during forward" });
        return results;
    }

    /// <summary>True when the action is exact in any dtype: invariance, or a discrete group's (its transforms move entries).</summary>
    private static bool ExactAction(LayerAction a) => a.IsInvariant || a.Transform?.Group.IsDiscrete == true;

    /// <summary>The grade of a layer's own error, judged against the interpolation baseline of its tensors.</summary>
    private static ErrorGrade LayerGrade(Thresholds th, double own, double baseline)
    {
        var g = th.Grade(own);
        if (g > ErrorGrade.Excellent && baseline > 0 && own <= th.BaselineFactor * baseline + th.Excellent) return ErrorGrade.Excellent;
        return g;
    }

    /// <summary>Largest relative round-trip error ‖ρ(g)⁻¹ρ(g)t − t‖ / ‖t‖ of an action on a tensor (0 when the action is exact or trivial).</summary>
    private static double RoundTrip(AuditContext ctx, LayerAction action, Tensor t, GroupElements g)
    {
        if (action.Transform is not IContinuousTransform { IsExactOnGrid: false } c) return 0;
        using var scope = NewDisposeScope();
        using var inv = g.Group.Inverse(g);
        try
        {
            var t64 = t.to(ScalarType.Float64);
            var back = c.Apply(c.Apply(t64, g), inv);
            return AuditKernels.Errors(ctx.Masked(back), ctx.Masked(t64)).Rel.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        }
        catch (Exception e) when (AuditContext.IsActionFailure(e))
        {
            return 0;
        }
    }
}
