using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// The per-batch mathematics of <see cref="ModelLieAttribution"/>. Every intermediate tensor t carries the group's
/// tangent X t (the transform's tangent on feature maps, zero on other intermediates; the model's input and output as
/// the report says). A module call f_i with input h_i and output o_i has its own Lie derivative
/// ℓ_i = J_{f_i}(h_i)·X h_i − X o_i, and contributes C_i = J_{y←o_i}·ℓ_i at the output. By the chain rule on the
/// forward's graph the Lie derivative telescopes: L = Σ_leaves C_i + Σ_modules (functional code), where a module's
/// functional code contributes C_module − Σ_children C_child (the model itself: L − Σ_top-level C).
/// <para>
/// The push-forwards J_{y←o_i}·ℓ_i come from one observed forward whose calls carry zero probes (so in-place
/// operations after a call never move what it returned): one backward with create_graph gives
/// g_i(u) = J_{y←o_i}ᵀu for every probe at once, linear in a dummy cotangent u, and ∂⟨g_i(u), ℓ_i⟩/∂u is
/// J_{y←o_i}·ℓ_i (the double-backward trick), one reverse pass per push. Where libtorch has no double backward for an
/// operation on the way (hardsigmoid in MobileNetV3), each push is a forward-mode jvp instead: the model run again
/// with a dual zero carrying ℓ_i added to call i's output. Pushes that are known without a pass are skipped: a zero
/// ℓ_i, a container that only chains its children (its contribution is theirs), and the border or interior half of a
/// leaf's ℓ_i when the other half is zero.
/// </para>
/// </summary>
internal static class ModuleContributions
{
    public static AttributionBatch Compute(ObservedModel model, Tensor xb, IContinuousTransform transform, LieOptions options, ISet<string> notes)
    {
        // The end-to-end Lie derivative by its own forward-mode jvp: the residual checks the attribution against it.
        var along = LieDerivative.Along(transform);
        var (y0, lie) = LieDerivative.Evaluate(model.Forward, xb, along, false);
        bool outputActs = along.ActsOnOutput(y0);
        bool flow = transform is ImageFlowTransform;
        bool Acts(Tensor t, bool isInput, bool isOutput) => isOutput ? outputActs : isInput || (flow && LieDerivative.IsFeatureMap(t));

        using var grad = enable_grad();
        var xg = xb.detach().clone().requires_grad_(true);
        var observed = model.Observe(xg, probes: true);
        foreach (var n in observed.Notes) notes.Add(n);
        var (y, calls) = (observed.Output, observed.Calls);

        // Which calls are attributed: one tensor in and out, or no action on either side (then ℓ = 0 whatever runs).
        var attributed = new bool[calls.Count];
        var own = new Tensor?[calls.Count];
        for (int i = 0; i < calls.Count; i++)
        {
            var c = calls[i];
            if (c.Output is null || !c.Output.is_floating_point() || c.GradientTarget is null)
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
            own[i] = Own(c, inputActs, outActs, transform);
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

        var pushes = new Pushes(model, xb, xg, y, y0, calls);
        var whole = new Tensor[calls.Count];
        var border = new Tensor?[calls.Count];
        // Children complete before their parent, so a chaining container finds its children's contributions ready.
        foreach (int i in kept)
        {
            var c = calls[i];
            var ell = own[i];
            bool leaf = children[i].Count == 0;
            if (!leaf && ChainsItsChildren(i, calls, children[i], attributed))
            {
                whole[i] = children[i].Select(k => whole[k]).Aggregate((a, b) => a + b);
                continue;
            }
            if (ell is null) { whole[i] = zeros_like(y0); continue; }
            if (leaf && flow && LieDerivative.IsFeatureMap(ell) && options.BorderWidth > 0)
            {
                var mask = BorderMask(ell, options.BorderWidth);
                var band = ell * mask;
                var inside = ell - band;
                bool bandZero = IsZero(band), insideZero = IsZero(inside);
                border[i] = bandZero ? zeros_like(y0) : insideZero ? pushes.Push(i, ell) : pushes.Push(i, band);
                whole[i] = bandZero ? pushes.Push(i, ell) : insideZero ? border[i]! : border[i]! + pushes.Push(i, inside);
            }
            else whole[i] = pushes.Push(i, ell);
        }
        var root = pushes.Root(lie, transform.Tangent(xb), outputActs ? transform.Tangent(y0) : null);
        if (pushes.ForwardModeReason is { } why)
            notes.Add($"Contributions were pushed to the output by forward-mode jvps, one model pass each: {why}.");

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
    private static Tensor? Own(ModuleCall c, bool inputActs, bool outputActs, IContinuousTransform transform)
    {
        using var noGrad = no_grad();
        Tensor? ell = null;
        if (inputActs)
        {
            // A copy: a module working in place (ReLU(inplace=True)) must not overwrite the observed input.
            var h = c.Input!.clone();
            ell = Jvp.Compute(c.Forward!, h, transform.Tangent(c.Input)).Tangent;
        }
        if (outputActs)
        {
            var d = transform.Tangent(c.Output!);
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
    /// Pushes tangents at call outputs to the model's output: by the double-backward trick while libtorch can, by
    /// forward-mode jvps through <see cref="ObservedModel.ForwardAdding"/> from the first operation it cannot.
    /// </summary>
    private sealed class Pushes(ObservedModel model, Tensor xb, Tensor xg, Tensor y, Tensor y0, IReadOnlyList<ModuleCall> calls)
    {
        private Tensor? _u;
        private Tensor?[]? _g;
        private Tensor? _gx;

        /// <summary>Why pushes went by forward mode; null while the double-backward trick works.</summary>
        public string? ForwardModeReason { get; private set; }

        public Tensor Push(int i, Tensor v)
        {
            if (ForwardModeReason is null)
            {
                try
                {
                    return Reverse(Gradient(i), v);
                }
                catch (NotSupportedException e)
                {
                    ForwardModeReason = e.Message.FirstLine();
                    _g = null;
                    _u = null;
                }
            }
            return Forward(i, v);
        }

        /// <summary>L + X y (the whole model's push of X x), or L itself when pushes go by forward mode.</summary>
        public Tensor Root(Tensor lie, Tensor tangentX, Tensor? tangentY)
        {
            if (ForwardModeReason is null && y.requires_grad)
            {
                try
                {
                    _gx ??= Gradients.Of(y, new[] { xg }, U, createGraph: true)[0];
                    var pushed = Reverse(_gx, tangentX);
                    return tangentY is null ? pushed : pushed - tangentY;
                }
                catch (NotSupportedException e)
                {
                    ForwardModeReason = e.Message.FirstLine();
                }
            }
            return lie;
        }

        private Tensor U => _u ??= zeros_like(y).requires_grad_(true);

        // g_i(u) for every probe at once, from one backward with create_graph (linear in u).
        private Tensor? Gradient(int i)
        {
            if (_g is null)
            {
                _g = new Tensor?[calls.Count];
                if (!y.requires_grad) return null;
                var targets = Enumerable.Range(0, calls.Count).Where(k => calls[k].GradientTarget is { requires_grad: true }).ToList();
                if (targets.Count > 0)
                {
                    var grads = Gradients.Of(y, targets.Select(k => calls[k].GradientTarget!).ToArray(), U, createGraph: true);
                    for (int k = 0; k < targets.Count; k++) _g[targets[k]] = grads[k];
                }
            }
            return _g[i];
        }

        private Tensor Reverse(Tensor? gi, Tensor v)
        {
            if (gi is null) return zeros_like(y0);
            var s = (gi * v).sum();
            if (!s.requires_grad) return zeros_like(y0);
            return (Gradients.Of(s, new[] { U })[0] ?? zeros_like(y0)).detach();
        }

        private Tensor Forward(int i, Tensor v)
        {
            using var noGrad = no_grad();
            var zero = zeros_like(v);
            try
            {
                return Jvp.Compute(z => model.ForwardAdding(xb, i, z), zero, v, JvpMethod.ForwardMode).Tangent;
            }
            catch (NotSupportedException e) when (e.Message.Contains("no tangent reached", StringComparison.Ordinal))
            {
                return zeros_like(y0); // the call's output does not reach the model's output
            }
            catch (NotSupportedException e)
            {
                throw new InvalidOperationException($"The contribution of '{calls[i].Name}' cannot be pushed to the output: libtorch has neither a double backward ({ForwardModeReason}) nor a forward-mode derivative ({e.Message.FirstLine()}) for an operation after it.", e);
            }
        }
    }
}
