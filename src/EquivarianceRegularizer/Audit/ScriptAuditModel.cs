using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// Audits a TorchScript model through its tapped twin (<see cref="TappedScriptModule"/>): TorchSharp has no hooks on
/// script children and no graph access, so every submodule call's input and output comes from the rewritten
/// archive's taps — nested modules and children called from custom forward code included.
/// </summary>
internal sealed class ScriptAuditModel : IAuditModel
{
    private readonly TappedScriptModule _tapped;
    private readonly Dictionary<string, string> _typeNames = new(StringComparer.Ordinal);
    private ModuleDtypeConversion? _conversion;

    /// <summary>Wraps a loaded tapped module (not owned).</summary>
    public ScriptAuditModel(TappedScriptModule tapped, string name)
    {
        _tapped = tapped ?? throw new ArgumentNullException(nameof(tapped));
        Name = name ?? throw new ArgumentNullException(nameof(name));
    }

    /// <summary>The tapped module itself (for the layer-wise Lie derivative).</summary>
    internal TappedScriptModule Tapped => _tapped;

    /// <summary>The model as a <see cref="TensorModel"/> (its original forward).</summary>
    public TensorModel Model => _tapped.Module;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ScalarType DType => Model.DType;

    /// <inheritdoc/>
    public Device Device => Model.Device;

    /// <inheritdoc />
    public bool Training => _tapped.Module.training;

    /// <inheritdoc />
    public void SetTraining(bool training) => _tapped.Module.train(training);

    /// <inheritdoc />
    /// <remarks>The model's own Parameter and buffer objects are kept aside, not replaced: converting back to the
    /// model's original dtype puts those very objects back, so an optimizer built on them steps normally afterwards.</remarks>
    public void ConvertTo(ScalarType dtype)
    {
        _conversion?.Dispose();
        _conversion = null;
        if (DType != dtype) _conversion = ModuleDtypeConversion.Convert(_tapped.Module, dtype);
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor x) => _tapped.Module.call(x);

    /// <inheritdoc />
    public (Tensor Output, IReadOnlyList<LayerCapture> Layers) ForwardWithLayers(Tensor x, bool gradientProbes = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        // Copies are taken as each call sees its tensors, so a later in-place op (ReLU(inplace=True)) cannot change them.
        IReadOnlyList<ScriptTap> copies;
        Tensor y;
        if (!gradientProbes)
        {
            (y, copies) = _tapped.ForwardWithTaps(x, copyTaps: true);
            return (y, Captures(copies, null));
        }
        using (no_grad()) (_, copies) = _tapped.ForwardWithTaps(x.detach(), copyTaps: true);
        // The live taps are the forward's own tensors, inside the autograd graph: gradients with respect to them are
        // the gradients with respect to the layer outputs.
        (y, var live) = _tapped.ForwardWithTaps(x, copyTaps: false);
        return (y, Captures(copies, live));
    }

    private List<LayerCapture> Captures(IReadOnlyList<ScriptTap> copies, IReadOnlyList<ScriptTap>? live)
    {
        var list = new List<LayerCapture>(copies.Count);
        for (int i = 0; i < copies.Count; i++)
        {
            var tap = copies[i];
            _typeNames[tap.Name] = tap.TypeName;
            Tensor? target = live is not null && i < live.Count && live[i].Name == tap.Name && live[i].Output is { requires_grad: true } o ? o : null;
            list.Add(new LayerCapture(tap.Name, tap.TypeName, tap.Input?.detach(), tap.Output?.detach(), target));
        }
        return list;
    }

    /// <inheritdoc />
    public IReadOnlyList<LayerInfo> DeclaredLayers =>
        _tapped.Module.named_modules().Where(p => p.name.Length > 0)
            .Select(p => new LayerInfo(p.name, _typeNames.TryGetValue(p.name, out var t) ? t : "ScriptModule", p.module.named_children().Any())).ToList();

    /// <inheritdoc />
    public Func<Tensor, Tensor>? LayerFunction(string name)
    {
        foreach (var (n, m) in _tapped.Module.named_modules())
            if (n == name && m is jit.ScriptModule script)
                return h => script.invoke("forward", h) as Tensor
                    ?? throw new InvalidOperationException($"Submodule '{name}' does not return a single tensor.");
        return null;
    }

    /// <inheritdoc />
    public IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> State() =>
        _tapped.Module.named_parameters().Select(p => (p.name, (Tensor)p.parameter, true))
            .Concat(_tapped.Module.named_buffers().Select(b => (b.name, b.buffer, false)));
}
