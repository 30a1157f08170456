using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// The per-batch mathematics of <see cref="ModelLieAttribution"/>. Every intermediate tensor t carries the group's
/// tangent X t (the transform's tangent on feature maps, and on token tensors of a patch grid carried to the grid with
/// prefix tokens fixed (<see cref="TokenGrid.CarryFlow"/>); zero on other intermediates; the model's input and output as
/// the report says). A module call f_i with input h_i and output o_i has its own Lie derivative
/// ℓ_i = J_{f_i}(h_i)·X h_i − X o_i, and contributes C_i = J_{y←o_i}·ℓ_i at the output. By the chain rule on the
/// forward's graph the Lie derivative telescopes: L = Σ_leaves C_i + Σ_modules (functional code), where a module's
/// functional code contributes C_module − Σ_children C_child (the model itself: L − Σ_top-level C).
/// <para>
/// The push-forwards J_{y←o_i}·ℓ_i are forward-mode jvps of the model with a dual zero carrying ℓ_i added to call i's
/// output, many per model pass (the batch repeated once per push); where forward mode is unavailable or meets an
/// operation without a forward-mode derivative (a scripted nn.MultiheadAttention's fused kernel), they come from one
/// forward whose calls carry zero probes: one backward with create_graph gives g_i(u) = J_{y←o_i}ᵀu for every probe,
/// and ∂⟨g_i(u), ℓ_i⟩/∂u is J_{y←o_i}·ℓ_i (the double-backward trick), one reverse pass per push. Where libtorch has
/// neither for an operation on the way, the attribution fails with a message naming the call. Pushes that are known
/// without a pass are skipped: a zero
/// ℓ_i, a container that only chains its children (its contribution is theirs), and the border or interior half of a
/// leaf's ℓ_i when the other half is zero.
/// </para>
/// </summary>
internal static class ModuleContributions
{
    public static AttributionBatch Compute(ObservedModel model, Tensor xb, IContinuousTransform transform, LieOptions options, long insideBytesPerSample, ISet<string> notes)
    {
        // The end-to-end Lie derivative by its own forward-mode jvp: the residual checks the attribution against it.
        var along = LieDerivative.Along(transform);
        var (y0, lie) = LieDerivative.Evaluate(model.Forward, xb, along, false);
        bool outputActs = along.ActsOnOutput(y0);
        bool flow = transform is ImageFlowTransform;

        ObservedForward observed;
        using (no_grad()) observed = model.Observe(xb.detach());
        foreach (var n in observed.Notes) notes.Add(n);
        var calls = observed.Calls;

        // Intermediates carry the flow's tangent on feature maps and, carried to their patch grid, on token tensors.
        var grids = flow ? TokenGrid.Find(calls, xb, _ => null) : Array.Empty<TokenGrid>();
        IContinuousTransform? OnTokens(Tensor t) => grids.Count > 0 && t.Rank() == 3 ? TokenGrid.CarryFlow(grids, transform, t.shape) : null;
        bool Acts(Tensor t, bool isInput, bool isOutput) =>
            isOutput ? outputActs : isInput || (flow && (LieDerivative.IsFeatureMap(t) || OnTokens(t) is not null));
        Tensor Tangent(Tensor t, bool isModelTensor)
        {
            var action = isModelTensor ? null : OnTokens(t);
            if (action is not null) notes.Add($"Token tensors [batch, {t.size(1)}, features] carry {action.Name}: their grid is moved like a feature map of the same field of view.");
            return (action ?? transform).Tangent(t);
        }

        // Which calls are attributed: one tensor in and out, or no action on either side (then ℓ = 0 whatever runs).
        var attributed = new bool[calls.Count];
        var acts = new (bool Input, bool Output)[calls.Count];
        for (int i = 0; i < calls.Count; i++)
        {
            var c = calls[i];
            if (c.Output is null || !c.Output.is_floating_point())
            {
                notes.Add($"'{c.Name}' ({c.TypeName}) returns no floating-point tensor ({c.NotSingleTensorReason ?? "no tensor result"}): its share is counted in its parent's functional code.");
                continue;
            }
            bool inputActs = c.Input is not null && c.Input.is_floating_point() && Acts(c.Input, c.InputIsModelInput, false);
            bool outActs = Acts(c.Output, false, c.OutputIsModelOutput);
            if (inputActs && c.Forward is null)
            {
                notes.Add($"'{c.Name}' ({c.TypeName}) cannot be attributed: {c.NotSingleTensorReason ?? "it cannot be run alone on one tensor"}; its share is counted in its parent's functional code.");
                continue;
            }
            attributed[i] = true;
            acts[i] = (inputActs, outActs);
        }
        var kept = Enumerable.Range(0, calls.Count).Where(i => attributed[i]).ToList();
        var children = kept.ToDictionary(i => i, i => new List<int>());
        var parent = new Dictionary<int, int>();
        foreach (int i in kept)
        {
            int p = calls[i].Parent;
            while (p >= 0 && !attributed[p]) p = calls[p].Parent;
            parent[i] = p;
            if (p >= 0) children[p].Add(i);
        }

        // Plan every push first (a container that only chains its children needs none, and its ℓ is never computed),
        // then run them together: forward-mode pushes share model passes.
        var pushes = new Pushes(model, xb, y0, calls, options.MemoryBudgetBytes, insideBytesPerSample);
        var plan = new Dictionary<int, (int Whole, int Border, int Inside)>();
        var chains = new HashSet<int>();
        foreach (int i in kept)
        {
            bool leaf = children[i].Count == 0;
            if (!leaf && ChainsItsChildren(i, calls, children[i], attributed)) { chains.Add(i); continue; }
            var ell = Own(calls[i], acts[i].Input, acts[i].Output, Tangent);
            if (ell is null) continue;
            if (leaf && flow && LieDerivative.IsFeatureMap(ell) && options.BorderWidth > 0)
            {
                var mask = BorderMask(ell, options.BorderWidth);
                var band = ell * mask;
                var inside = ell - band;
                bool bandZero = IsZero(band), insideZero = IsZero(inside);
                plan[i] = bandZero ? (pushes.Request(i, ell), -2, -1)
                    : insideZero ? (-1, pushes.Request(i, ell), -1)
                    : (-1, pushes.Request(i, band), pushes.Request(i, inside));
            }
            else plan[i] = (pushes.Request(i, ell), -1, -1);
        }
        var pushed = pushes.RunAll();
        var whole = new Tensor[calls.Count];
        var border = new Tensor?[calls.Count];
        // Children complete before their parent, so a chaining container finds its children's contributions ready.
        foreach (int i in kept)
        {
            if (chains.Contains(i))
            {
                whole[i] = children[i].Select(k => whole[k]).Aggregate((a, b) => a + b);
                continue;
            }
            if (!plan.TryGetValue(i, out var p)) { whole[i] = zeros_like(y0); continue; }
            if (p.Whole >= 0)
            {
                whole[i] = pushed[p.Whole];
                if (p.Border == -2) border[i] = zeros_like(y0);
            }
            else
            {
                border[i] = pushed[p.Border];
                whole[i] = p.Inside >= 0 ? border[i]! + pushed[p.Inside] : border[i]!;
            }
        }
        var root = pushes.Root(lie, transform.Tangent(xb), outputActs ? transform.Tangent(y0) : null);
        if (pushes.ReverseReason is { } why)
            notes.Add($"Contributions were pushed to the output by double backward, one reverse pass each: forward mode {why}.");

        var rows = new List<(AttributionRow, Tensor, Tensor?)>();
        var containers = new List<(AttributionRow, Tensor)>();
        foreach (int i in kept)
        {
            var c = calls[i];
            string? parentName = parent[i] >= 0 ? calls[parent[i]].Name : null;
            var shape = c.Output!.shape.Skip(1).ToArray();
            bool equivariant = Acts(c.Output, false, c.OutputIsModelOutput);
            if (children[i].Count == 0)
            {
                var role = c.Input is null ? LieStages.RoleFromName(c.TypeName) : LayerwiseLieDerivative.RefineRole(LieStages.RoleFromName(c.TypeName), c.Input, c.Output);
                rows.Add((new AttributionRow(c.Name, c.TypeName, role, parentName, false, shape, equivariant), whole[i], border[i]));
                continue;
            }
            containers.Add((new AttributionRow(c.Name, c.TypeName, LayerRole.Other, parentName, false, shape, equivariant), whole[i]));
            var functional = whole[i];
            foreach (var k in children[i]) functional = functional - whole[k];
            rows.Add((new AttributionRow(c.Name + ".(functional)", "functional code", LayerRole.Functional, c.Name, true, shape, equivariant), functional, null));
        }
        var top = root;
        foreach (int i in kept) if (parent[i] < 0) top = top - whole[i];
        rows.Add((new AttributionRow("(functional)", "functional code", LayerRole.Functional, null, true, y0.shape.Skip(1).ToArray(), outputActs), top, null));

        return new AttributionBatch
        {
            Output = y0,
            Lie = lie,
            EquivariantOutput = outputActs,
            Rows = rows,
            Containers = containers,
        };
    }

    // ℓ_i = J_{f_i}(h_i)·X h_i − X o_i (each term only where the group acts); null when it acts on neither side.
    // tangent(t, isModelTensor) is X t (the transform itself on the model's input and output).
    private static Tensor? Own(ModuleCall c, bool inputActs, bool outputActs, Func<Tensor, bool, Tensor> tangent)
    {
        using var noGrad = no_grad();
        Tensor? ell = null;
        if (inputActs)
        {
            // A copy: a module working in place (ReLU(inplace=True)) must not overwrite the observed input.
            var h = c.Input!.clone();
            ell = Jvp.Compute(c.Forward!, h, tangent(c.Input, c.InputIsModelInput)).Tangent;
        }
        if (outputActs)
        {
            var d = tangent(c.Output!, c.OutputIsModelOutput);
            ell = ell is null ? -d : ell - d;
        }
        return ell;
    }

    // A container whose forward only chains its children (Sequential): the first child gets the container's input, each
    // next child the previous one's output, and the last child's output is the container's. Then its ℓ telescopes into
    // its children's ℓ pushed to its output, so its contribution is the sum of theirs. Checked on the observed values;
    // every call made directly inside it must be attributed.
    private static bool ChainsItsChildren(int i, IReadOnlyList<ModuleCall> calls, List<int> children, bool[] attributed)
    {
        var c = calls[i];
        if (children.Count == 0 || c.Input is null || c.Children.Any(k => !attributed[k])) return false;
        var first = calls[children[0]];
        if (!ObservedModel.SameValues(first.Input, c.Input) || !ObservedModel.SameValues(calls[children[^1]].Output, c.Output)) return false;
        for (int k = 1; k < children.Count; k++)
            if (!ObservedModel.SameValues(calls[children[k]].Input, calls[children[k - 1]].Output)) return false;
        return true;
    }

    private static bool IsZero(Tensor t)
    {
        using var _ = no_grad();
        return t.abs().max().ToDouble() == 0;
    }

    /// <summary>1 on the outer <paramref name="width"/> pixels of each H×W plane, 0 inside; shaped to broadcast over N×C×H×W.</summary>
    public static Tensor BorderMask(Tensor t, int width)
    {
        long h = t.size(2), w = t.size(3);
        var mask = ones(new[] { h, w }, dtype: t.dtype, device: t.device);
        if (h > 2 * width && w > 2 * width)
            mask[TensorIndex.Slice(width, h - width), TensorIndex.Slice(width, w - width)] = zeros(new[] { h - 2 * width, w - 2 * width }, dtype: t.dtype, device: t.device);
        return mask;
    }

    /// <summary>
    /// Pushes tangents at call outputs to the model's output. By forward-mode jvps through
    /// <see cref="ObservedModel.ForwardAdding(Tensor, IReadOnlyDictionary{int, Tensor})"/> where libtorch's forward mode
    /// can be reached: pushes share passes, the batch repeated once per push with each copy carrying one push's tangent,
    /// as many copies per pass as <paramref name="memoryBudget"/> allows. Where forward mode is unavailable or meets an
    /// operation without a forward-mode derivative (the fused attention kernel of a scripted nn.MultiheadAttention), by
    /// the double-backward trick: one backward with create_graph from a forward with zero probes on every call output
    /// gives g_i(u) = J_{y←o_i}ᵀu for all calls, then ∂⟨g_i(u), v⟩/∂u = J_{y←o_i}·v, one reverse pass per push.
    /// </summary>
    private sealed class Pushes(ObservedModel model, Tensor xb, Tensor y0, IReadOnlyList<ModuleCall> calls, long memoryBudget, long insideBytesPerSample)
    {
        private readonly List<(int Call, Tensor V)> _requests = new();
        private Tensor? _xg, _y, _u, _gx;
        private Tensor?[]? _g;

        /// <summary>Why pushes went by double backward (forward mode unavailable or not applicable); null when they went by forward mode.</summary>
        public string? ReverseReason { get; private set; } = Jvp.ForwardModeAvailable ? null : $"is unavailable ({Jvp.ForwardModeUnavailableReason})";

        /// <summary>Asks for J_{y←o_i}·v; returns the index of its result in <see cref="RunAll"/>'s answer.</summary>
        public int Request(int i, Tensor v)
        {
            _requests.Add((i, v));
            return _requests.Count - 1;
        }

        /// <summary>Every requested push, in request order.</summary>
        public Tensor[] RunAll()
        {
            var results = new Tensor[_requests.Count];
            int next = 0;
            while (next < _requests.Count && ReverseReason is null)
            {
                int k = GroupSize(next);
                using var scope = NewDisposeScope();
                try
                {
                    var group = Forward(next, k);
                    for (int j = 0; j < k; j++) results[next + j] = group[j].MoveToOuterDisposeScope();
                    next += k;
                }
                catch (NotSupportedException e)
                {
                    ReverseReason = $"met an operation without a forward-mode derivative ({e.Message.FirstLine()})";
                }
            }
            for (; next < _requests.Count; next++)
            {
                try
                {
                    results[next] = Reverse(Gradient(_requests[next].Call), _requests[next].V);
                }
                catch (NotSupportedException e)
                {
                    throw new InvalidOperationException($"The contribution of '{calls[_requests[next].Call].Name}' cannot be pushed to the output: libtorch has neither a forward-mode derivative ({ReverseReason}) nor a double backward ({e.Message.FirstLine()}) for an operation after it.", e);
                }
            }
            return results;
        }

        /// <summary>L + X y (the whole model's push of X x) when pushes went by double backward, else L itself (from the same forward mode).</summary>
        public Tensor Root(Tensor lie, Tensor tangentX, Tensor? tangentY)
        {
            if (ReverseReason is null || _y is not { requires_grad: true }) return lie;
            try
            {
                _gx ??= Gradients.Of(_y, new[] { _xg! }, U, createGraph: true)[0];
                var pushed = Reverse(_gx, tangentX);
                return tangentY is null ? pushed : pushed - tangentY;
            }
            catch (NotSupportedException)
            {
                return lie;
            }
        }

        // Copies of the batch in the pass starting at request first: the activations and tangents of every call for each
        // copy and what a forward holds inside its calls beyond them (an attention's weights), value and tangent, and the
        // addends (each call's output size for every copy, value and tangent), within what the budget leaves beside the
        // process's resident memory.
        private int GroupSize(int first)
        {
            long b = xb.size(0);
            long perCopy = 2 * calls.Sum(c => c.Output is { } o ? o.numel() * o.dtype.ElementSize() : 0) + 2 * insideBytesPerSample * b;
            long available = Math.Max(memoryBudget / 8, memoryBudget - Environment.WorkingSet);
            var distinct = new HashSet<int>();
            long addendsPerCopy = 0;
            int k = 0;
            while (first + k < _requests.Count)
            {
                var (call, v) = _requests[first + k];
                if (distinct.Add(call)) addendsPerCopy += 3 * v.numel() * v.dtype.ElementSize() / Math.Max(1, v.size(0)) * b;
                if (k > 0 && (k + 1) * (perCopy + addendsPerCopy) > available) break;
                k++;
            }
            return Math.Max(1, k);
        }

        // Requests first … first + count − 1 in one forward-mode pass over that many copies of the batch: copy j's addend
        // at its call carries request j's tangent, every other copy's a zero tangent.
        private Tensor[] Forward(int first, int count)
        {
            using var noGrad = no_grad();
            long b = xb.size(0);
            var xs = count == 1 ? xb : cat(Enumerable.Repeat(xb, count).ToArray(), 0);
            var byCall = new SortedDictionary<int, Tensor>();
            for (int j = 0; j < count; j++)
            {
                var (call, v) = _requests[first + j];
                if (!byCall.TryGetValue(call, out var t))
                    byCall[call] = t = zeros(new[] { count * b }.Concat(v.shape.Skip(1)).ToArray(), dtype: v.dtype, device: v.device);
                t.narrow(0, j * b, b).copy_(v);
            }
            var keys = byCall.Keys.ToList();
            var sizes = keys.Select(c => byCall[c].numel()).ToArray();
            var tangent = cat(keys.Select(c => byCall[c].reshape(-1)).ToArray(), 0);
            byCall.Clear();
            var shapes = keys.Select(c => new[] { count * b }.Concat(_requests.First(r => r.Call == c).V.shape.Skip(1)).ToArray()).ToList();
            Tensor Run(Tensor z)
            {
                var parts = z.split(sizes);
                var addends = new Dictionary<int, Tensor>();
                for (int k = 0; k < keys.Count; k++) addends[keys[k]] = parts[k].view(shapes[k]);
                return model.ForwardAdding(xs, addends);
            }
            Tensor pushed;
            try
            {
                pushed = Jvp.Compute(Run, zeros_like(tangent), tangent, JvpMethod.ForwardMode).Tangent;
            }
            catch (NotSupportedException e) when (e.Message.Contains("no tangent reached", StringComparison.Ordinal))
            {
                // The calls' outputs do not reach the model's output.
                pushed = zeros(new[] { count * b }.Concat(y0.shape.Skip(1)).ToArray(), dtype: y0.dtype, device: y0.device);
            }
            return Enumerable.Range(0, count).Select(j => pushed.narrow(0, j * b, b)).ToArray();
        }

        private Tensor U => _u ??= zeros_like(_y!).requires_grad_(true);

        // g_i(u) for every probe at once, from one backward with create_graph (linear in u), on a forward observed with probes.
        private Tensor? Gradient(int i)
        {
            if (_g is null)
            {
                _g = new Tensor?[calls.Count];
                using var grad = enable_grad();
                _xg = xb.detach().clone().requires_grad_(true);
                var probed = model.Observe(_xg, probes: true);
                _y = probed.Output;
                if (!_y.requires_grad) return null;
                var probes = probed.Calls;
                var targets = Enumerable.Range(0, Math.Min(calls.Count, probes.Count)).Where(k => probes[k].GradientTarget is { requires_grad: true }).ToList();
                if (targets.Count > 0)
                {
                    var grads = Gradients.Of(_y, targets.Select(k => probes[k].GradientTarget!).ToArray(), U, createGraph: true);
                    for (int k = 0; k < targets.Count; k++) _g[targets[k]] = grads[k];
                }
            }
            return _g[i];
        }

        private Tensor Reverse(Tensor? gi, Tensor v)
        {
            if (gi is null) return zeros_like(y0);
            using var grad = enable_grad();
            var s = (gi * v).sum();
            if (!s.requires_grad) return zeros_like(y0);
            return (Gradients.Of(s, new[] { U })[0] ?? zeros_like(y0)).detach();
        }
    }
}
