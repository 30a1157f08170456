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
/// The push-forwards J_{y←o_i}·ℓ_i come from one forward pass: one backward with create_graph gives
/// g_i(u) = J_{y←o_i}ᵀu for every observed output at once, linear in a dummy cotangent u, and ∂⟨g_i(u), ℓ_i⟩/∂u is
/// J_{y←o_i}·ℓ_i (the double-backward trick), one cheap reverse pass per module; the model is not re-run per module.
/// </para>
/// </summary>
internal static class ModuleContributions
{
    public static AttributionBatch Compute(ILieCallSource source, Tensor xb, IContinuousTransform transform, LieOptions options, ISet<string> notes)
    {
        // The end-to-end Lie derivative by its own forward-mode jvp: the residual checks the attribution against it.
        var along = LieDerivative.Along(transform);
        var (y0, lie) = LieDerivative.Evaluate(source.Forward, xb, along, false);
        bool outputActs = along.ActsOnOutput(y0);
        bool flow = transform is ImageFlowTransform;
        bool Acts(Tensor t, bool isInput, bool isOutput) => isOutput ? outputActs : isInput || (flow && LieDerivative.IsFeatureMap(t));

        try
        {
            using var grad = enable_grad();
            var xg = xb.detach().clone().requires_grad_(true);
            var (y, calls) = source.Capture(xg, notes);
            var u = zeros_like(y).requires_grad_(true);
            // Gradients of ⟨y, u⟩ with respect to every observed output at once (create_graph: linear in u). A tensor
            // observed twice (a container returning its last child's output) is asked for once; taps are new handles
            // on the same tensors, so handles with equal values go to separate backward passes, never one.
            var g = new Tensor?[calls.Count];
            var gx = y.requires_grad ? Gradients.Of(y, new[] { xg }, u, createGraph: true)[0] : null;
            var groups = new List<List<int>>();
            for (int i = 0; i < calls.Count; i++)
            {
                var h = calls[i].GradientHandle;
                if (!h.requires_grad || !y.requires_grad) continue;
                var group = source.HandlesMayAlias ? groups.FirstOrDefault(gr => gr.All(j => !ScriptCallSource.SameValues(calls[j].GradientHandle, h))) : groups.FirstOrDefault();
                if (group is null) groups.Add(group = new List<int>());
                group.Add(i);
            }
            foreach (var group in groups)
            {
                var grads = Gradients.Of(y, group.Select(i => calls[i].GradientHandle).ToArray(), u, createGraph: true);
                for (int k = 0; k < group.Count; k++) g[group[k]] = grads[k];
            }

            Tensor Push(Tensor? gi, Tensor? v)
            {
                if (gi is null || v is null) return zeros_like(y0);
                var s = (gi * v).sum();
                if (!s.requires_grad) return zeros_like(y0);
                return (Gradients.Of(s, new[] { u })[0] ?? zeros_like(y0)).detach();
            }

            Tensor? Own(LieModuleCall c)
            {
                using var noGrad = no_grad();
                Tensor? own = null;
                if (Acts(c.Input, c.InputIsModelInput, false))
                    own = Jvp.Compute(c.Forward, c.Input, transform.Tangent(c.Input)).Tangent;
                if (Acts(c.Output, false, c.OutputIsModelOutput))
                {
                    var d = transform.Tangent(c.Output);
                    own = own is null ? -d : own - d;
                }
                return own;
            }

            var whole = new Tensor[calls.Count];
            var border = new Tensor?[calls.Count];
            for (int i = 0; i < calls.Count; i++)
            {
                var c = calls[i];
                var gi = g[i];
                var own = Own(c);
                if (c.Children.Count == 0 && own is not null && flow && LieDerivative.IsFeatureMap(own) && options.BorderWidth > 0)
                {
                    var mask = BorderMask(own, options.BorderWidth);
                    border[i] = Push(gi, own * mask);
                    whole[i] = border[i]! + Push(gi, own - own * mask);
                }
                else whole[i] = Push(gi, own);
            }
            var root = Push(gx, transform.Tangent(xb));
            if (outputActs) root = root - transform.Tangent(y0);

            var rows = new List<(AttributionRow, Tensor, Tensor?)>();
            var containers = new List<(AttributionRow, Tensor)>();
            for (int i = 0; i < calls.Count; i++)
            {
                var c = calls[i];
                string? parent = c.Parent >= 0 ? calls[c.Parent].Name : null;
                var shape = c.Output.shape.Skip(1).ToArray();
                bool equivariant = Acts(c.Output, false, c.OutputIsModelOutput);
                if (c.Children.Count == 0)
                {
                    var role = LayerwiseLieDerivative.RefineRole(LieStages.RoleFromName(c.Kind), c.Input, c.Output);
                    rows.Add((new AttributionRow(c.Name, c.Kind, role, parent, false, shape, equivariant), whole[i], border[i]));
                    continue;
                }
                containers.Add((new AttributionRow(c.Name, c.Kind, LayerRole.Other, parent, false, shape, equivariant), whole[i]));
                var functional = whole[i];
                foreach (var k in c.Children) functional = functional - whole[k];
                rows.Add((new AttributionRow(c.Name + ".(functional)", "functional code", LayerRole.Functional, c.Name, true, shape, equivariant), functional, null));
            }
            var top = root;
            for (int i = 0; i < calls.Count; i++) if (calls[i].Parent < 0) top = top - whole[i];
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
        finally
        {
            source.ReleaseCapture();
        }
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
}
