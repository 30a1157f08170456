using EquivarianceRegularizer.Audit;

namespace EquivarianceRegularizer.Models;

/// <summary>
/// A TorchSharp model observed with one forward hook per submodule (children invoked with <c>call</c>). TorchSharp
/// keeps hooks in a dictionary whose order is not registration order after removals, so one hook per module does
/// every job. Hooks live only while a forward runs.
/// </summary>
internal sealed class HookedModel : ObservedModel
{
    private readonly TensorModel _model;

    /// <summary>Wraps <paramref name="model"/> (not owned). A TorchScript module wrapped here runs, but its children are
    /// not observed (TorchSharp has no hooks on script children): wrap a <see cref="Jit.TappedScriptModule"/> in a
    /// <see cref="TappedModel"/> to observe them.</summary>
    public HookedModel(TensorModel model, string? name = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        Name = name ?? model.Module.TypeName();
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override TensorModel Model => _model;

    /// <inheritdoc />
    public override ObservedForward Observe(Tensor x, bool probes = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var marker = empty(0); // in the caller's scope: probes move there
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var raw = new List<(string Name, string Module, string Type, Tensor? In, Tensor? Out, Tensor? Probe, Tensor? Result, bool FromX, nn.Module Callee)>();
        // Inner modules dispose their intermediates when they return, so hooks copy what they see at once, outside
        // every dispose scope; the copies are handed to the caller's scope afterwards.
        static Tensor? Copy(Tensor? t)
        {
            if (t is null) return null;
            using var detached = t.detach();
            return detached.clone().DetachFromDisposeScope();
        }
        var hooks = Hook((m, path, input, output) =>
        {
            string name = ModuleCall.Occurrence(seen, path);
            Tensor? probe = null, result = output;
            if (probes && output is not null && output.is_floating_point())
            {
                probe = zeros_like(output).requires_grad_(true).DetachFromDisposeScope();
                result = output + probe;
            }
            raw.Add((name, path, m.TypeName(), Copy(input), Copy(output), probe, result, input is not null && ReferenceEquals(input, x), m));
            return probe is null ? null : result;
        });
        try
        {
            var y = _model.call(x);
            var calls = raw.Select(r => new ModuleCall
            {
                Name = r.Name,
                Module = r.Module,
                TypeName = r.Type,
                Input = Adopt(r.In),
                Output = Adopt(r.Out),
                GradientTarget = r.Probe?.MoveToOtherDisposeScope(marker),
                NotSingleTensorReason = r.In is null || r.Out is null ? "it does not take and return one tensor (TorchSharp's hooks see only one-tensor modules' values)" : null,
                Forward = r.Callee is nn.Module<Tensor, Tensor> typed && r.In is not null ? typed.call : null,
                InputIsModelInput = r.FromX,
                OutputIsModelOutput = r.Result is not null && ReferenceEquals(r.Result, y),
            }).ToList();
            ModuleCall.LinkParents(calls);
            return new ObservedForward(y, calls, Array.Empty<string>());
        }
        catch
        {
            foreach (var r in raw) { r.In?.Dispose(); r.Out?.Dispose(); r.Probe?.Dispose(); }
            throw;
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardAdding(Tensor x, int call, Tensor addend)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(addend);
        int count = 0;
        var hooks = Hook((_, _, _, output) => count++ == call && output is not null ? output + addend : null);
        try
        {
            return _model.call(x);
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
        }
    }

    // One hook per submodule; the observer gets (module, dotted path, input, output) and may replace the output.
    private List<IDisposable> Hook(Func<nn.Module, string, Tensor?, Tensor?, Tensor?> observer)
    {
        var hooks = new List<IDisposable>();
        foreach (var (path, module) in _model.Module.named_modules())
        {
            if (path.Length == 0) continue;
            string p = path;
            if (ModuleHooks.Observe(module, (m, input, output) => observer(m, p, input, output)) is { } hook) hooks.Add(hook);
        }
        return hooks;
    }

    /// <summary>Hands a detached tensor to the current dispose scope (a view owned by the scope; the detached handle is released).</summary>
    private static Tensor? Adopt(Tensor? t)
    {
        if (t is null) return null;
        var owned = t.view(t.shape);
        t.Dispose();
        return owned;
    }

    /// <inheritdoc />
    public override IReadOnlyList<LayerInfo> DeclaredLayers =>
        _model.Module.named_modules().Where(p => p.name.Length > 0)
            .Select(p => new LayerInfo(p.name, p.module.TypeName(), p.module.named_children().Any())).ToList();

    /// <inheritdoc />
    public override Func<Tensor, Tensor>? LayerFunction(string module)
    {
        foreach (var (n, m) in _model.Module.named_modules())
            if (n == module && m is nn.Module<Tensor, Tensor> typed) return typed.forward;
        return null;
    }
}
