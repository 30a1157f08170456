using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// Finds the boundary convention a model's padded layers follow, from their behaviour (TorchSharp modules and
/// TorchScript archives alike, functional padding included). A padded layer is a module call that keeps H×W and whose
/// own translation Lie derivative, with zero-padded tangents, is non-zero only in the border band (the layer is
/// translation-equivariant inside; its boundary is what differs). It follows circular boundaries when, with circular
/// tangents, that Lie derivative vanishes; otherwise zeros (or another non-periodic padding, for which the zero
/// convention is kept). Pointwise layers, exact either way, and layers with defects inside say nothing.
/// </summary>
internal static class BoundaryConventionInference
{
    public static (IContinuousTransform Transform, BoundaryConvention Convention) Resolve(
        ObservedModel source, Tensor probe, ImageFlowTransform flow, LieOptions options, ISet<string> notes)
    {
        var given = flow.Options.Padding;
        var empty = new Dictionary<string, ImagePadding>(StringComparer.Ordinal);
        if (!options.BoundaryFromModel)
            return (flow, new BoundaryConvention { Padding = given, FromModel = false, PaddedLayers = empty, Explanation = $"{Name(given)}: the transform's padding, as given (taking it from the model is off)." });

        var padded = PaddedLayers(source, probe, flow, Math.Max(1, options.BorderWidth), notes);
        if (padded.Count == 0)
            return (flow, new BoundaryConvention { Padding = given, FromModel = false, PaddedLayers = padded, Explanation = $"{Name(given)}: the transform's padding; no padded layer was found in the model." });
        var kinds = padded.Values.Distinct().ToList();
        if (kinds.Count > 1)
        {
            string groups = string.Join("; ", kinds.Select(k => $"{Name(k)}: {string.Join(", ", padded.Where(p => p.Value == k).Select(p => p.Key))}"));
            return (flow, new BoundaryConvention { Padding = given, FromModel = false, PaddedLayers = padded, Explanation = $"{Name(given)}: the transform's padding; the model's padded layers disagree ({groups}), so none was taken from them." });
        }
        var found = kinds[0];
        string layers = $"its {padded.Count} padded layer{(padded.Count == 1 ? "" : "s")} ({string.Join(", ", padded.Keys)}) {(padded.Count == 1 ? "uses" : "agree on")} it";
        if (found == given)
            return (flow, new BoundaryConvention { Padding = found, FromModel = true, PaddedLayers = padded, Explanation = $"{Name(found)}, as the model pads: {layers}, as the transform does." });
        IContinuousTransform rebuilt;
        try
        {
            rebuilt = TransformCatalogue.CreateContinuous(flow.Name, flow.Options with { Padding = found });
        }
        catch (ArgumentException)
        {
            return (flow, new BoundaryConvention { Padding = given, FromModel = false, PaddedLayers = padded, Explanation = $"{Name(given)}: the transform's padding; the model pads {Name(found)} ({layers}), but '{flow.Name}' is not a built-in transform that can be rebuilt with it: pass the transform with Padding = {found}." });
        }
        return (rebuilt, new BoundaryConvention { Padding = found, FromModel = true, PaddedLayers = padded, Explanation = $"{Name(found)}, taken from the model: {layers} (the transform had {Name(given)})." });
    }

    private static Dictionary<string, ImagePadding> PaddedLayers(ObservedModel source, Tensor probe, ImageFlowTransform flow, int band, ISet<string> notes)
    {
        var result = new Dictionary<string, ImagePadding>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        {
            IReadOnlyList<ModuleCall> calls;
            using (no_grad())
            {
                var observed = source.Observe(probe.detach());
                calls = observed.Calls;
                foreach (var n in observed.Notes) notes.Add(n);
            }
            double tolerance = probe.dtype == ScalarType.Float64 ? 1e-9 : 1e-4;
            var zeros = new ImageFlowTransform[] { new TranslationX(options: flow.Options with { Padding = ImagePadding.Zeros }), new TranslationY(options: flow.Options with { Padding = ImagePadding.Zeros }) };
            var circular = new ImageFlowTransform[] { new TranslationX(options: flow.Options with { Padding = ImagePadding.Circular }), new TranslationY(options: flow.Options with { Padding = ImagePadding.Circular }) };
            foreach (var c in calls)
            {
                if (c.Children.Count > 0 || result.ContainsKey(c.Module) || c.Forward is null || c.Input is null || c.Output is null) continue;
                var si = c.Input.shape;
                var so = c.Output.shape;
                if (si.Length != 4 || so.Length != 4 || si[2] != so[2] || si[3] != so[3] || si[2] < 2 * band + 1 || si[3] < 2 * band + 1) continue;
                bool borderOnly = true, zeroExact = true, circularExact = true;
                for (int k = 0; k < 2; k++)
                {
                    var (own, scale) = Own(c, zeros[k]);
                    var mask = ModuleContributions.BorderMask(own, band);
                    double whole = own.norm().ToDouble(), inside = (own - own * mask).norm().ToDouble();
                    zeroExact &= whole <= tolerance * scale;
                    borderOnly &= inside <= tolerance * scale;
                    var (ownCircular, scaleCircular) = Own(c, circular[k]);
                    circularExact &= ownCircular.norm().ToDouble() <= tolerance * scaleCircular;
                }
                if (zeroExact || !borderOnly) continue;
                result[c.Module] = circularExact ? ImagePadding.Circular : ImagePadding.Zeros;
            }
        }
        return result;
    }

    private static (Tensor Own, double Scale) Own(ModuleCall c, ImageFlowTransform t)
    {
        using var noGrad = no_grad();
        var jv = Jvp.Compute(c.Forward!, c.Input!.clone(), t.Tangent(c.Input)).Tangent;
        var d = t.Tangent(c.Output!);
        double scale = Math.Max(Math.Max(jv.norm().ToDouble(), d.norm().ToDouble()), 1e-30);
        return (jv - d, scale);
    }

    private static string Name(ImagePadding p) => p switch
    {
        ImagePadding.Zeros => "zero padding",
        ImagePadding.Circular => "circular padding",
        ImagePadding.Border => "border (replicate) padding",
        _ => "reflection padding",
    };
}
