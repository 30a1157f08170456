using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// Layer-wise isolation: every layer call's own error ‖L(ρ u) − ρ' L(u)‖ (the layer run alone on the transformed
/// input, or, where it cannot be called alone, the growth of the error across it from the archive's taps), its
/// cumulative error along the model, norms and error map; declared layers never called are listed as such.
/// </summary>
internal static class LayerPhase
{
    private static LayerAction DefaultAction(Symmetry spec, Tensor t, long[] modelOutputShape, int inputRank, IReadOnlyList<TokenGrid> grids)
    {
        bool isOutputShaped = t.shape.Skip(1).SequenceEqual(modelOutputShape.Skip(1));
        if (!spec.IsInvariant && isOutputShaped && t.Rank() != inputRank) return LayerAction.By(spec.Output);
        // Tokens of a patch grid: the image action carried to them where it maps the grid to itself, trivial (and why) elsewhere.
        if (TokenGrid.Carry(grids, spec.Input, t.shape) is var (tokens, trivial) && (tokens is not null || trivial is not null))
            return tokens is not null ? LayerAction.By(tokens) : LayerAction.Trivial(trivial!);
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

    /// <summary>
    /// Runs the isolation over <paramref name="xs"/> chunk by chunk (<paramref name="chunks"/>): per chunk one
    /// untransformed capture of every layer, each layer run alone on its transformed input, then one transformed capture
    /// per element compared with it and dropped. Only each layer's running statistics outlive a chunk.
    /// </summary>
    public static List<LayerResult> Run(AuditContext ctx, Tensor xs, List<GroupElements> plan, Dictionary<string, double> gradNorms, SampleChunks chunks)
    {
        var tallies = new List<LayerTally>();
        var byName = new Dictionary<string, LayerTally>(StringComparer.Ordinal);
        var called = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (start, length) in chunks.Ranges)
        {
            using var scope = NewDisposeScope();
            var x = xs.narrow(0, start, length);
            var elements = plan.Select(g => AuditEvaluation.Slice(g, start, length)).ToList();
            try { RunChunk(ctx, x, elements, tallies, byName, called); }
            finally { foreach (var e in elements) e.Dispose(); }
            HeapTrim.Now();
        }
        var results = new List<LayerResult>();
        foreach (var t in tallies)
        {
            var own = t.Result(ctx, plan.Count, xs.size(0), gradNorms);
            // Calls complete children first, so everything inside a container is in the results before it.
            results.Add(t.IsContainer ? JudgedWithChildren(own, results) : own);
        }
        var selection = ctx.Options.LayerSelection;
        if (selection.Describe() is { } which)
            ctx.Notes.Add(tallies.Count > 0
                ? $"Layer-wise isolation: {which} ({tallies.Count} layer calls tested and reported)."
                : $"Layer-wise isolation: no called layer is among the {which}; the names are those of an audit's layer table without the selection.");
        foreach (var d in ctx.Model.DeclaredLayers.Where(d => !called.Contains(d.Name) && selection.Selects(d.Name)))
            results.Add(new LayerResult { Name = d.Name, TypeName = d.TypeName, IsContainer = d.IsContainer, NotTestableReason = "not called during forward" });
        return results;
    }

    private static void RunChunk(AuditContext ctx, Tensor x, List<GroupElements> plan, List<LayerTally> tallies, Dictionary<string, LayerTally> byName, HashSet<string> called)
    {
        var selection = ctx.Options.LayerSelection;
        var spec = ctx.Spec;
        var (yBase, baseCaps) = ctx.Capture(x);
        var containers = byName.Count == 0 ? new HashSet<string>(ctx.Model.DeclaredLayers.Where(d => d.IsContainer).Select(d => d.Name), StringComparer.Ordinal) : null;
        // Token grids are found once, on the first chunk, like the actions.
        var grids = byName.Count == 0 ? TokenGrid.Find(baseCaps.Select(c => c.Capture).ToList(), x, c => ctx.Model.LayerFunction(c.Module) is { } f && c.Input is { } i ? SamplingGridMapped(f, i) : null) : Array.Empty<TokenGrid>();
        var seen = new List<(LayerTally Tally, ModuleCall Capture)>();
        foreach (var (name, cap) in baseCaps)
        {
            called.Add(cap.Module);
            if (!selection.Selects(name)) continue;
            if (!byName.TryGetValue(name, out var tally))
            {
                // Actions are decided once, on the first chunk: shapes past the batch axis do not change between chunks.
                tally = LayerTally.Decide(ctx, name, cap, containers?.Contains(cap.Module) ?? false, yBase.shape, x, plan[0], grids);
                byName[name] = tally;
                tallies.Add(tally);
            }
            using var inner = NewDisposeScope();
            tally.Isolate(ctx, cap, plan);
            seen.Add((tally, cap));
        }
        // One transformed capture at a time: the cumulative error of every layer under element k.
        for (int k = 0; k < plan.Count; k++)
        {
            using var inner = NewDisposeScope();
            var (_, transformed) = ctx.Capture(spec.Input.Apply(x, plan[k]));
            var match = new Dictionary<string, ModuleCall>(StringComparer.Ordinal);
            foreach (var (name, cap) in transformed) match.TryAdd(name, cap);
            foreach (var (tally, cap) in seen)
            {
                using var perLayer = NewDisposeScope();
                if (match.TryGetValue(tally.Name, out var t)) tally.Compare(cap, t, plan[k]);
            }
            inner.DisposeEverything();
            HeapTrim.Now();
        }
    }

    /// <summary>One layer call's actions and running statistics over the chunks.</summary>
    private sealed class LayerTally
    {
        private LayerAction _in = LayerAction.Invariant, _out = LayerAction.Invariant;
        private Func<Tensor, Tensor>? _fn;
        private readonly List<double> _cumulative = new(), _inputErr = new(), _own = new();
        private double[]? _spatial;
        private int _h, _w;
        private bool _shapeMismatch, _nonFinite;
        private double _baseline, _normSum;
        private long _normCount;

        public required string Name { get; init; }
        public required string BaseName { get; init; }
        public required string TypeName { get; init; }
        public bool IsContainer { get; init; }
        public string? Reason { get; private set; }
        public long[] InputShape { get; private set; } = Array.Empty<long>();
        public long[] OutputShape { get; private set; } = Array.Empty<long>();
        private string? _untestable;
        private bool _byChildren;
        private bool? _gridMapped;
        private bool _gridTried;
        // This chunk's per-sample norms of the call's output and input, kept when the action keeps norms.
        private double[]? _outNorms, _inNorms;
        private long _outputPerSample;

        public static LayerTally Decide(AuditContext ctx, string name, ModuleCall cap, bool container, long[] modelOutputShape, Tensor x, GroupElements first, IReadOnlyList<TokenGrid> grids)
        {
            var (spec, options) = (ctx.Spec, ctx.Options);
            var t = new LayerTally { Name = name, BaseName = cap.Module, TypeName = cap.TypeName, IsContainer = container };
            if (cap.Input is null || cap.Output is null)
            {
                t._untestable = cap.Input is null ? "its input is not a single tensor" : "its output is not a single tensor";
                return t;
            }
            t.InputShape = cap.Input.shape.Skip(1).ToArray();
            t.OutputShape = cap.Output.shape.Skip(1).ToArray();
            t._outputPerSample = cap.Output.numel() / Math.Max(1, cap.Output.size(0));
            LayerAction inAct, outAct;
            if (options.LayerActions.TryGetValue(cap.Module, out var ov) || options.LayerActions.TryGetValue(name, out ov))
            {
                (inAct, outAct) = ov.Symmetry is { } layerSymmetry
                    ? (LayerAction.By(layerSymmetry.Input), layerSymmetry.IsInvariant ? LayerAction.Invariant : LayerAction.By(layerSymmetry.Output))
                    : (LayerAction.NotTestable(ov.NotTestableReason!), LayerAction.NotTestable(ov.NotTestableReason!));
            }
            else
            {
                inAct = DefaultAction(spec, cap.Input, modelOutputShape, x.Rank(), grids);
                outAct = DefaultAction(spec, cap.Output, modelOutputShape, x.Rank(), grids);
            }
            // A layer the model calls on part of the batch (one sample at a time, say) cannot be paired with the
            // group elements drawn per sample of the whole batch.
            if (cap.Input.size(0) != x.size(0) || cap.Output.size(0) != x.size(0))
            {
                long seen = cap.Input.size(0) != x.size(0) ? cap.Input.size(0) : cap.Output.size(0);
                inAct = LayerAction.NotTestable($"the model calls it on batches of {seen}, not on the {x.size(0)} samples together, so the group elements drawn per sample cannot be matched to its inputs");
            }
            t._in = Checked(inAct, cap.Input, first);
            t._out = Checked(outAct, cap.Output, first);
            t.Reason = t._in.NotTestableReason is { } ri ? "input: " + ri : t._out.NotTestableReason is { } ro ? "output: " + ro : null;
            t._byChildren = container && IsPureComposition(cap.TypeName);
            t._fn = t._byChildren ? null : ctx.Model.LayerFunction(cap.Module);
            return t;
        }

        /// <summary>Norms of one chunk and the layer's own error: the layer run alone on each transformed input.</summary>
        public void Isolate(AuditContext ctx, ModuleCall cap, List<GroupElements> plan)
        {
            _outNorms = _inNorms = null;
            if (_untestable is not null || cap.Input is null || cap.Output is null) return;
            if (!cap.Output.all_finite()) _nonFinite = true;
            if (_fn is not null && !_gridTried && Shrinks(cap))
            {
                _gridTried = true;
                _gridMapped = SamplingGridMapped(_fn, cap.Input);
            }
            var outNorms = AuditEvaluation.PerSampleNorm(cap.Output);
            _normSum += outNorms.Sum();
            _normCount += cap.Output.size(0);
            // Actions that only move entries keep each sample's norm: the norms of this chunk serve every element.
            if (_out.MovesEntries) _outNorms = outNorms;
            if (_in.MovesEntries && (_fn is not null ? Reason is null : _in.NotTestableReason is null)) _inNorms = AuditEvaluation.PerSampleNorm(cap.Input);
            if (Reason is not null || _fn is null || _shapeMismatch) return;
            using var _ = no_grad();
            if (_in.MovesEntries && _out.MovesEntries && ctx.InputMask is null && !ctx.Model.Training && plan.Count > 1
                && IsolateAllElements(ctx, cap, plan))
                return;
            // Float64 copies once per layer and chunk; permutation-type actions are exact in any dtype and skip them.
            var in64 = ExactAction(_in) ? cap.Input : cap.Input.to(ScalarType.Float64);
            var out64 = ExactAction(_out) ? cap.Output : cap.Output.to(ScalarType.Float64);
            Tensor? maskedIn = null, maskedOut = null;
            for (int k = 0; k < plan.Count; k++)
            {
                var u = in64;
                var baseOut = out64;
                bool masked = false;
                if (ctx.InputMask is { } im && u.Rank() >= 3 && u.size(u.Rank() - 2) == im.size(0) && u.size(u.Rank() - 1) == im.size(1))
                {
                    // Interpolating transforms lose what leaves the grid: test the layer on its input restricted to the disk.
                    maskedIn ??= (cap.Input * im.to(cap.Input.dtype)).to(ScalarType.Float64);
                    maskedOut ??= _fn(maskedIn.to(cap.Input.dtype)).to(ScalarType.Float64);
                    u = maskedIn;
                    baseOut = maskedOut;
                    masked = true;
                }
                var uT = _in.Apply(u, plan[k]).to(cap.Input.dtype);
                var o1 = ctx.Masked(_fn(uT));
                var o2 = ctx.Masked(_out.Apply(baseOut, plan[k]));
                if (!o1.shape.SequenceEqual(o2.shape)) { _shapeMismatch = true; return; }
                if (ctx.IsInterpolating) _baseline = Math.Max(_baseline, Math.Max(RoundTrip(ctx, _in, cap.Input, plan[k]), RoundTrip(ctx, _out, cap.Output, plan[k])));
                bool known = !masked && ctx.OutputMask is null;
                var (rel, s, hh, ww) = AuditEvaluation.CompareLayer(o1, o2, uT, cap.Input.dtype, known ? _outNorms : null, known ? _inNorms : null);
                AddOwn(rel, s, hh, ww);
            }
        }

        /// <summary>
        /// The isolation under every element at once, for actions that only move entries (eval mode, no mask): the
        /// transformed inputs of all elements run through the layer as one batch and are compared in one pass. False,
        /// with nothing done, when the elements give inputs of different shapes (a quarter turn of a non-square map):
        /// then each element runs on its own.
        /// </summary>
        private bool IsolateAllElements(AuditContext ctx, ModuleCall cap, List<GroupElements> plan)
        {
            var parts = plan.Select(g => _in.Apply(cap.Input!, g)).ToArray();
            if (parts.Any(p => !p.shape.SequenceEqual(parts[0].shape))) return false;
            var uT = cat(parts);
            var o1 = _fn!(uT);
            long b = cap.Input!.size(0);
            if (o1.Rank() == 0 || o1.size(0) != b * plan.Count) { _shapeMismatch = true; return true; }
            for (int k = 0; k < plan.Count; k++)
            {
                using var inner = NewDisposeScope();
                var o2 = _out.Apply(cap.Output!, plan[k]);
                var o1k = o1.narrow(0, k * b, b);
                if (!o1k.shape.SequenceEqual(o2.shape)) { _shapeMismatch = true; return true; }
                var (rel, s, hh, ww) = AuditEvaluation.CompareLayer(o1k, o2, uT.narrow(0, k * b, b), cap.Input.dtype, _outNorms, _inNorms);
                AddOwn(rel, s, hh, ww);
            }
            return true;
        }

        private void AddOwn(double[] rel, double[]? spatial, int h, int w)
        {
            _own.AddRange(rel);
            if (spatial is null) return;
            _h = h;
            _w = w;
            _spatial ??= new double[spatial.Length];
            if (_spatial.Length == spatial.Length) for (int i = 0; i < spatial.Length; i++) _spatial[i] += spatial[i];
        }

        /// <summary>The cumulative error along the model under one element: the layer's output at T(x) against ρ'(g) of its output at x.</summary>
        public void Compare(ModuleCall at, ModuleCall atTransformed, GroupElements g)
        {
            if (_untestable is not null || _out.NotTestableReason is not null || at.Input is null || at.Output is null || atTransformed.Output is null) return;
            var out64 = ExactAction(_out) ? at.Output : at.Output.to(ScalarType.Float64);
            var expected = _out.Apply(out64, g);
            if (expected.shape.SequenceEqual(atTransformed.Output.shape)) _cumulative.AddRange(AuditEvaluation.Errors(atTransformed.Output, expected, _outNorms).Rel);
            if (_fn is null && _in.NotTestableReason is null && atTransformed.Input is not null)
            {
                var in64 = ExactAction(_in) ? at.Input : at.Input.to(ScalarType.Float64);
                var expIn = _in.Apply(in64, g);
                if (expIn.shape.SequenceEqual(atTransformed.Input.shape)) _inputErr.AddRange(AuditEvaluation.Errors(atTransformed.Input, expIn, _inNorms).Rel);
            }
        }

        public LayerResult Result(AuditContext ctx, int elements, long samples, Dictionary<string, double> gradNorms)
        {
            if (_untestable is not null)
                return new LayerResult { Name = Name, TypeName = TypeName, IsContainer = IsContainer, NotTestableReason = _untestable };
            string? reason = _shapeMismatch ? "the layer maps T(input) to a different shape than T(output) (e.g. rot90 on a non-square map)" : Reason;
            string method = _byChildren ? "children" : "isolated";
            var own = _own;
            if (reason is null && _fn is null && !_byChildren)
            {
                // Not callable alone (TorchScript): estimate the layer's own error as the growth of the error across it.
                method = "taps";
                if (_cumulative.Count > 0)
                {
                    double inMax = _inputErr.Count > 0 ? _inputErr.Where(double.IsFinite).DefaultIfEmpty(0).Max() : 0;
                    own = _cumulative.Select(c => double.IsFinite(c) ? Math.Max(0, c - inMax) : c).ToList();
                }
                else reason = "no captured activation at T(x) to compare with";
            }
            SpatialErrorMap? map = null;
            if (_spatial is not null && _h > 0)
            {
                double denom = elements * (double)samples * _outputPerSample / (_h * (double)_w);
                map = new SpatialErrorMap(Name, _h, _w, _spatial.Select(v => v / denom).ToArray());
            }
            var ownStats = own.Count > 0 ? ErrorStats.Of(own) : null;
            return new LayerResult
            {
                Name = Name,
                TypeName = TypeName,
                IsContainer = IsContainer,
                NotTestableReason = reason,
                InputAction = _in.ToString(),
                OutputAction = _out.ToString(),
                Method = reason is null ? method : "",
                InputShape = InputShape,
                OutputShape = OutputShape,
                OwnMaxRelative = ownStats?.Max ?? double.NaN,
                OwnMeanRelative = ownStats?.Mean ?? double.NaN,
                CumulativeMaxRelative = _cumulative.Count > 0 ? ErrorStats.Of(_cumulative).Max : double.NaN,
                ActivationNorm = _normCount > 0 ? _normSum / _normCount : double.NaN,
                GradientNorm = gradNorms.TryGetValue(Name, out var gn) ? gn : double.NaN,
                NonFinite = _nonFinite,
                Grade = reason is null && ownStats is not null ? LayerGrade(ctx.Thresholds, ownStats.Max, _baseline) : null,
                InterpolationBaseline = ctx.IsInterpolating ? _baseline : double.NaN,
                ErrorMap = map,
                SamplingGridMapped = _gridMapped,
            };
        }
    }

    private static bool Shrinks(ModuleCall cap) =>
        cap.Input is { } i && cap.Output is { } o && i.Rank() >= 3 && o.Rank() == i.Rank()
        && (o.size(-1) < i.size(-1) || o.size(-2) < i.size(-2));

    /// <summary>
    /// Whether the flips and quarter turns of the plane map the layer's sampling grid to itself: the centre of the first
    /// output's window and that of the last must mirror each other, c₀ + c_last = n − 1 on both axes. The windows are
    /// read from the layer itself: the input pixels its first (last) output depends on, from the gradient of that
    /// output over random inputs (a max-pool's window is the union of the argmaxes). Null when it cannot be measured.
    /// A stride-s convolution with kernel s and no padding (a ViT's patch embedding) maps its grid to itself on n = s·m;
    /// a 3×3 stride-2 convolution with padding 1 on an even size does not.
    /// </summary>
    internal static bool? SamplingGridMapped(Func<Tensor, Tensor> fn, Tensor input)
    {
        using var scope = NewDisposeScope();
        try
        {
            using var gen = new Generator(0);
            var shape = input.shape.ToArray();
            shape[0] = Math.Min(2, shape[0]);
            var u = rand(shape, dtype: input.dtype, generator: gen).requires_grad_();
            using var grad = enable_grad();
            var o = fn(u);
            if (o.Rank() != u.Rank()) return null;
            long oh = o.size(-2), ow = o.size(-1), h = u.size(-2), w = u.size(-1);
            var first = o.narrow(-2, 0, 1).narrow(-1, 0, 1).sum();
            var last = o.narrow(-2, oh - 1, 1).narrow(-1, ow - 1, 1).sum();
            var g0 = Gradients.Of(first, new[] { u })[0];
            var gl = Gradients.Of(last, new[] { u })[0];
            if (g0 is null || gl is null) return null;
            var (rows0, cols0) = Support(g0);
            var (rowsL, colsL) = Support(gl);
            if (rows0.Length == 0 || rowsL.Length == 0 || cols0.Length == 0 || colsL.Length == 0) return null;
            // The window centres (lo + hi) / 2 mirror each other when c₀ + c_last = n − 1; a window clipped by the
            // border shows only its inner side, which is the side that says where the window sits.
            return rows0.Max() + rowsL.Min() == h - 1 && cols0.Max() + colsL.Min() == w - 1;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException or System.Runtime.InteropServices.ExternalException)
        {
            return null;
        }
    }

    /// <summary>The rows and columns where a gradient is non-zero (over batch and channels).</summary>
    private static (long[] Rows, long[] Cols) Support(Tensor g)
    {
        var a = g.abs().to(ScalarType.Float64);
        var lead = Enumerable.Range(0, (int)a.Rank() - 2).Select(i => (long)i).ToArray();
        var plane = a.sum(lead);
        var rows = plane.sum(new long[] { 1 }).data<double>().ToArray();
        var cols = plane.sum(new long[] { 0 }).data<double>().ToArray();
        return (Enumerable.Range(0, rows.Length).Where(i => rows[i] > 0).Select(i => (long)i).ToArray(),
                Enumerable.Range(0, cols.Length).Where(i => cols[i] > 0).Select(i => (long)i).ToArray());
    }

    /// <summary>Modules that only call their children in order: they have no code of their own to test.</summary>
    private static bool IsPureComposition(string typeName)
    {
        // "torch.nn.modules.container.Sequential" (TorchScript), "torch::nn::SequentialImpl" (TorchSharp's native modules).
        string t = LayerTaxonomy.ShortType(typeName);
        t = t[(t.LastIndexOf(':') + 1)..];
        if (t.EndsWith("Impl", StringComparison.Ordinal)) t = t[..^4];
        return t is "Sequential" or "ModuleList" or "ModuleDict";
    }

    /// <summary>
    /// A container is judged by what is inside it: never PASS while a module inside fails. A pure composition
    /// (Sequential) takes the worst of its modules; a module with its own forward code also keeps its own isolated error,
    /// and when that fails while every tested module inside passes, its own code breaks the symmetry
    /// (<see cref="LayerResult.BreaksInOwnCode"/>), which makes it a candidate for the first failing layer.
    /// </summary>
    private static LayerResult JudgedWithChildren(LayerResult own, List<LayerResult> earlier)
    {
        string prefix = own.Name.Split('#')[0] + ".";
        var inside = earlier.Where(l => l.Name.StartsWith(prefix, StringComparison.Ordinal) && l.Grade is not null).ToList();
        ErrorGrade? worst = inside.Count > 0 ? inside.Max(l => l.Grade!.Value) : null;
        if (own.Method == "children")
        {
            if (worst is null) return own.With(notTestable: "no module inside it could be tested");
            var worstInside = inside.Where(l => l.Grade == worst).MaxBy(l => l.OwnMaxRelative) ?? inside[0];
            return own.With(grade: worst, ownMax: inside.Max(l => l.OwnMaxRelative), ownMean: inside.Max(l => l.OwnMeanRelative), judgedBy: worstInside.Name);
        }
        if (own.Grade is not { } g) return own;
        bool ownCode = g >= ErrorGrade.Approximate && !(worst >= ErrorGrade.Approximate);
        return own.With(grade: worst is { } w && w > g ? w : g, breaksInOwnCode: ownCode);
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
            return AuditEvaluation.Errors(ctx.Masked(back), ctx.Masked(t64)).Rel.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        }
        catch (Exception e) when (AuditContext.IsActionFailure(e))
        {
            return 0;
        }
    }
}
