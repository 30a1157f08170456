using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Lie;

/// <summary>Builds the ordered stages of a model.</summary>
internal static class LieStages
{
    /// <summary>
    /// The top-level children of <paramref name="model"/>, in registration order, as stages — for nn Sequential
    /// models and TorchScript modules whose forward calls its children one after the other. The composition is run
    /// on <paramref name="probe"/> and compared with the model's own forward; when they differ (a forward that
    /// reorders children, reuses one, or does work between them) this throws instead of attributing wrongly.
    /// A model without children is one stage.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="probe">Inputs the composition is verified on.</param>
    /// <param name="relativeTolerance">How closely the composition must reproduce the model.</param>
    /// <param name="typeNames">Type names by child name, for TorchScript children (whose class names TorchSharp does not expose).</param>
    public static IReadOnlyList<LieStage> FromModule(TensorModel model, Tensor probe, double relativeTolerance = 1e-5, IReadOnlyDictionary<string, string>? typeNames = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(probe);
        var module = model.Module;
        var children = module.named_children().ToList();
        if (children.Count == 0)
            return new[] { new LieStage(module.TypeName(), module.TypeName(), model.call, RoleFromName(module.TypeName())) };
        var stages = new List<LieStage>(children.Count);
        foreach (var (name, child) in children)
        {
            Func<Tensor, Tensor> forward = child switch
            {
                nn.Module<Tensor, Tensor> typed => typed.call,
                // TorchScript children come back untyped; their forward is reached by name.
                jit.ScriptModule script => h => script.invoke("forward", h) as Tensor
                    ?? throw new NotSupportedException($"Child '{name}' of {module.TypeName()} does not return a single tensor, so the model cannot be split into stages."),
                _ => throw new NotSupportedException($"Child '{name}' ({child.TypeName()}) of {module.TypeName()} is not a Tensor→Tensor module, so the model cannot be split into stages."),
            };
            string kind = typeNames is not null && typeNames.TryGetValue(name, out var known) ? known : child.TypeName();
            stages.Add(new LieStage(name, kind, forward, RoleFromName(kind)));
        }
        VerifyComposition(model.call, stages, probe, relativeTolerance, module.TypeName());
        return stages;
    }

    /// <summary>Stages from named modules given in the order they run.</summary>
    public static IReadOnlyList<LieStage> FromModules(IEnumerable<(string name, nn.Module<Tensor, Tensor> module)> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var stages = modules.Select(m => new LieStage(m.name, m.module.TypeName(), m.module.call, RoleFromName(m.module.TypeName()))).ToList();
        if (stages.Count == 0) throw new ArgumentException("Needs at least one stage.", nameof(modules));
        return stages;
    }

    /// <summary>
    /// Checks that running <paramref name="stages"/> in order reproduces <paramref name="forward"/> on
    /// <paramref name="probe"/>; throws <see cref="InvalidOperationException"/> otherwise.
    /// </summary>
    public static void VerifyComposition(Func<Tensor, Tensor> forward, IReadOnlyList<LieStage> stages, Tensor probe, double relativeTolerance = 1e-5, string modelName = "model")
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(probe);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var expected = forward(probe);
        Tensor h = probe;
        for (int i = 0; i < stages.Count; i++)
        {
            try
            {
                h = stages[i].Forward(h);
            }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
            {
                throw new InvalidOperationException(
                    $"Cannot split {modelName} into its children: running them in order fails at '{stages[i].Name}' ({stages[i].Kind}): {e.Message}. " +
                    "Its forward is not a plain chain of its top-level children; pass the stages explicitly.", e);
            }
        }
        var es = expected.shape;
        var hs = h.shape;
        if (!es.AsSpan().SequenceEqual(hs))
            throw new InvalidOperationException(
                $"Cannot split {modelName} into its children: running them in order gives shape [{string.Join(", ", hs)}], forward gives [{string.Join(", ", es)}]. " +
                "Its forward is not a plain chain of its top-level children; pass the stages explicitly.");
        double diff = (h - expected).abs().max().ToDouble();
        double scale = Math.Max(expected.abs().max().ToDouble(), 1e-12);
        if (!(diff <= relativeTolerance * scale))
            throw new InvalidOperationException(
                $"Cannot split {modelName} into its children: running them in order differs from forward by {diff:G3} (relative {diff / scale:G3}). " +
                "Its forward is not a plain chain of its top-level children (or it is random, e.g. dropout in training mode); pass the stages explicitly.");
    }

    /// <summary>A role guessed from a layer type name.</summary>
    public static LayerRole RoleFromName(string typeName)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        if (LayerTaxonomy.IsGlobalPool(typeName)) return LayerRole.GlobalPooling;
        if (LayerTaxonomy.IsDownsampling(typeName)) return LayerRole.Downsampling;
        if (LayerTaxonomy.IsNorm(typeName)) return LayerRole.Normalization;
        if (LayerTaxonomy.IsNonlinear(typeName)) return LayerRole.Nonlinearity;
        if (LayerTaxonomy.IsLinear(typeName)) return LayerRole.Linear;
        return LayerRole.Other;
    }
}
