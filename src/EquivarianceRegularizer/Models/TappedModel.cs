using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Jit;

namespace EquivarianceRegularizer.Models;

/// <summary>
/// A TorchScript model observed through its tapped twin (<see cref="TappedScriptModule"/>): TorchSharp has no hooks on
/// script children and no graph access, so every submodule call's input and output comes from the rewritten archive's
/// taps — nested modules and children called from custom forward code included — as copies made when the call saw
/// them, and probes and addends enter through the archive's addends.
/// </summary>
internal sealed class TappedModel : ObservedModel
{
    private readonly TappedScriptModule _tapped;
    private readonly Dictionary<string, string> _typeNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, jit.ScriptModule> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _notSingle = new(StringComparer.Ordinal);

    /// <summary>Wraps a loaded tapped module (not owned).</summary>
    public TappedModel(TappedScriptModule tapped, string name)
    {
        _tapped = tapped ?? throw new ArgumentNullException(nameof(tapped));
        Name = name ?? throw new ArgumentNullException(nameof(name));
        foreach (var (path, module) in tapped.Module.named_modules())
            if (path.Length > 0 && module is jit.ScriptModule script) _modules.TryAdd(path, script);
    }

    /// <summary>The tapped module itself.</summary>
    public TappedScriptModule Tapped => _tapped;

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override TensorModel Model => _tapped.Module;

    /// <inheritdoc />
    public override ObservedForward Observe(Tensor x, bool probes = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!probes)
        {
            var (y, taps) = _tapped.ForwardWithTaps(x, copyTaps: true);
            return Calls(x, y, taps, null);
        }
        // Probes need the outputs' shapes: a first pass without gradients (and without copies) gives them.
        IReadOnlyList<ScriptTap> first;
        using (no_grad()) (_, first) = _tapped.ForwardWithTaps(x.detach(), copyTaps: false);
        var addends = first.Select(t => t.Output is { } o && o.is_floating_point() ? zeros_like(o).requires_grad_(true) : empty(0)).ToList();
        foreach (var t in first) { t.Input?.Dispose(); t.Output?.Dispose(); }
        var (output, observed) = _tapped.ForwardAdding(x, addends, copyTaps: true);
        return Calls(x, output, observed, addends);
    }

    private ObservedForward Calls(Tensor x, Tensor y, IReadOnlyList<ScriptTap> taps, List<Tensor>? probes)
    {
        var notes = _tapped.Rewrite.Untapped.Select(u => $"A call in the archive could not be tapped ({u}): its share is counted in its caller's functional code.").ToList();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var calls = new List<ModuleCall>(taps.Count);
        for (int i = 0; i < taps.Count; i++)
        {
            var tap = taps[i];
            _typeNames[tap.Name] = tap.TypeName;
            if (tap.SkipReason is not null) _notSingle[tap.Name] = tap.SkipReason;
            bool single = tap.SkipReason is null && tap.Input is not null && tap.Output is not null;
            var probe = probes is not null && i < probes.Count && probes[i].numel() > 0 ? probes[i] : null;
            calls.Add(new ModuleCall
            {
                Name = ModuleCall.Occurrence(seen, tap.Name),
                Module = tap.Name,
                TypeName = tap.TypeName,
                Input = tap.Input?.detach(),
                Output = tap.Output?.detach(),
                GradientTarget = probe,
                NotSingleTensorReason = single ? null : tap.SkipReason ?? "it does not take and return one tensor",
                Forward = single && _modules.TryGetValue(tap.Name, out var module) ? h => RunAlone(module, tap.Name, h) : null,
                InputIsModelInput = SameValues(tap.Input, x),
            });
        }
        ModuleCall.LinkParents(calls);
        // The model's output is the last top-level call's output when the forward returns it unchanged.
        var last = calls.LastOrDefault(c => c.Parent < 0);
        if (last is not null && SameValues(last.Output, y)) last.OutputIsModelOutput = true;
        return new ObservedForward(y, calls, notes);
    }

    private static Tensor RunAlone(jit.ScriptModule module, string name, Tensor h) =>
        module.invoke("forward", h) as Tensor
        ?? throw new InvalidOperationException($"Submodule '{name}' did not return a single tensor when run on its own.");

    /// <inheritdoc />
    public override Tensor ForwardAdding(Tensor x, IReadOnlyDictionary<int, Tensor> addends)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(addends);
        using var none = empty(0);
        int count = addends.Count == 0 ? 0 : addends.Keys.Max() + 1;
        var list = Enumerable.Range(0, count).Select(k => addends.TryGetValue(k, out var a) ? a : none).ToList();
        var (y, taps) = _tapped.ForwardAdding(x, list, copyTaps: false);
        foreach (var t in taps) { t.Input?.Dispose(); t.Output?.Dispose(); }
        return y;
    }

    /// <inheritdoc />
    public override IReadOnlyList<LayerInfo> DeclaredLayers =>
        _tapped.Module.named_modules().Where(p => p.name.Length > 0)
            .Select(p => new LayerInfo(p.name, _typeNames.TryGetValue(p.name, out var t) ? t : "ScriptModule", p.module.named_children().Any())).ToList();

    /// <inheritdoc />
    public override Func<Tensor, Tensor>? LayerFunction(string module)
    {
        // A module seen taking several arguments or returning something other than a tensor cannot run alone on one.
        if (_notSingle.ContainsKey(module)) return null;
        return _modules.TryGetValue(module, out var script) ? h => RunAlone(script, module, h) : null;
    }
}
