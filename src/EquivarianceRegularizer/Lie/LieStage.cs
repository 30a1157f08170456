using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Lie;

/// <summary>What a stage does, for grouping per-layer contributions (e.g. "share of LEE from downsampling").</summary>
public enum LayerRole
{
    /// <summary>Anything else (composite blocks, reshapes).</summary>
    Other,
    /// <summary>Convolutions and fully connected layers (stride 1).</summary>
    Linear,
    /// <summary>Pointwise nonlinearities (ReLU, GELU, …).</summary>
    Nonlinearity,
    /// <summary>Stages that reduce the spatial resolution (strided convolutions, pooling, blur-pooling).</summary>
    Downsampling,
    /// <summary>Global pooling to one value per channel.</summary>
    GlobalPooling,
    /// <summary>Normalization layers.</summary>
    Normalization,
    /// <summary>Functional code a module's forward runs itself, outside its children (a relu, a mean, a residual sum).</summary>
    Functional,
}

/// <summary>One stage f_i of a model written as a composition f_N ∘ … ∘ f_1.</summary>
/// <param name="Name">Name in reports (e.g. the child's name "3").</param>
/// <param name="Kind">The layer's type (e.g. "Conv2d").</param>
/// <param name="Forward">The stage's computation (must be forward-mode differentiable).</param>
/// <param name="Role">Its role; <see cref="LayerRole.Other"/> is inferred from <paramref name="Kind"/> and from shapes when the stages are measured.</param>
public sealed record LieStage(string Name, string Kind, Func<Tensor, Tensor> Forward, LayerRole Role = LayerRole.Other)
{
    /// <summary>Name in reports.</summary>
    public string Name { get; init; } = Name ?? throw new ArgumentNullException(nameof(Name));

    /// <summary>The layer's type.</summary>
    public string Kind { get; init; } = Kind ?? throw new ArgumentNullException(nameof(Kind));

    /// <summary>The stage's computation.</summary>
    public Func<Tensor, Tensor> Forward { get; init; } = Forward ?? throw new ArgumentNullException(nameof(Forward));
}

/// <summary>Builds the ordered stages of a model.</summary>
public static class LieStages
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
        string t = typeName.ToLowerInvariant();
        if (t.Contains("adaptive", StringComparison.Ordinal) || t.Contains("global", StringComparison.Ordinal)) return LayerRole.GlobalPooling;
        if (t.Contains("pool", StringComparison.Ordinal) || t.Contains("downsample", StringComparison.Ordinal)) return LayerRole.Downsampling;
        if (t.Contains("norm", StringComparison.Ordinal)) return LayerRole.Normalization;
        string[] nonlinear = { "relu", "gelu", "silu", "tanh", "sigmoid", "elu", "softplus", "mish", "hardswish", "activation" };
        if (nonlinear.Any(n => t.Contains(n, StringComparison.Ordinal))) return LayerRole.Nonlinearity;
        if (t.Contains("conv", StringComparison.Ordinal) || t.Contains("linear", StringComparison.Ordinal)) return LayerRole.Linear;
        return LayerRole.Other;
    }
}
