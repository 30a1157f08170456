using EquivarianceRegularizer.Torch;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Audit;

/// <summary>One submodule call seen during a forward: its dotted name, type, input and output.</summary>
/// <param name="Name">Dotted module name (e.g. "features.0").</param>
/// <param name="TypeName">Module type (e.g. "Conv2d").</param>
/// <param name="Input">The first tensor input, or null when the input is not a single tensor.</param>
/// <param name="Output">The tensor output, or null when the output is not a single tensor.</param>
public sealed record LayerCapture(string Name, string TypeName, Tensor? Input, Tensor? Output);

/// <summary>A declared submodule: its name, type, whether it has children.</summary>
/// <param name="Name">Dotted name.</param>
/// <param name="TypeName">Type name.</param>
/// <param name="IsContainer">True when the module has children (its error is the composition of theirs).</param>
public sealed record LayerInfo(string Name, string TypeName, bool IsContainer);

/// <summary>
/// What the auditor needs of a model, so that our own modules and TorchScript modules are audited the same way.
/// </summary>
public interface IAuditModel
{
    /// <summary>The model's type or file name, for reports.</summary>
    string Name { get; }

    /// <summary>The dtype of the model's floating-point parameters (float32 when it has none).</summary>
    ScalarType DType { get; }

    /// <summary>Whether the model is in training mode.</summary>
    bool Training { get; }

    /// <summary>Sets training (true) or evaluation (false) mode.</summary>
    void SetTraining(bool training);

    /// <summary>Converts parameters and buffers to <paramref name="dtype"/>.</summary>
    void ConvertTo(ScalarType dtype);

    /// <summary>Runs the model.</summary>
    Tensor Forward(Tensor x);

    /// <summary>
    /// Runs the model and returns its output plus every submodule call in completion order (children before
    /// their parent). The captured tensors are alive in the caller's dispose scope.
    /// </summary>
    (Tensor Output, IReadOnlyList<LayerCapture> Layers) ForwardWithLayers(Tensor x);

    /// <summary>Every declared submodule (the root excluded), so that uncalled ones can be listed.</summary>
    IReadOnlyList<LayerInfo> DeclaredLayers { get; }

    /// <summary>A function running submodule <paramref name="name"/> alone, or null when it cannot be called alone.</summary>
    Func<Tensor, Tensor>? LayerFunction(string name);

    /// <summary>The live parameter and buffer tensors (for snapshots and re-initialisation).</summary>
    IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> State();
}

/// <summary>Audits one of our <see cref="nn.Module{T, TResult}"/> models, capturing layers with forward observers.</summary>
public sealed class ModuleAuditModel : IAuditModel
{
    private readonly nn.Module<Tensor, Tensor> _module;

    /// <summary>Wraps <paramref name="module"/> (not owned).</summary>
    public ModuleAuditModel(nn.Module<Tensor, Tensor> module, string? name = null)
    {
        _module = module ?? throw new ArgumentNullException(nameof(module));
        Name = name ?? module.TypeName;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ScalarType DType =>
        _module.parameters().Select(p => p.dtype).Concat(_module.named_buffers().Select(b => b.buffer.dtype))
            .Where(d => d.IsFloatingPoint()).DefaultIfEmpty(ScalarType.Float32).First();

    /// <inheritdoc />
    public bool Training => _module.training;

    /// <inheritdoc />
    public void SetTraining(bool training) => _module.train(training);

    /// <inheritdoc />
    public void ConvertTo(ScalarType dtype) => _module.to(dtype);

    /// <inheritdoc />
    public Tensor Forward(Tensor x) => _module.call(x);

    /// <inheritdoc />
    public (Tensor Output, IReadOnlyList<LayerCapture> Layers) ForwardWithLayers(Tensor x)
    {
        var captures = new List<LayerCapture>();
        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in _module.named_modules()) if (n.Length > 0) names.TryAdd(m, n);
        var handles = new List<IDisposable>();
        try
        {
            foreach (var (m, n) in names)
            {
                handles.Add(m.register_forward_observer((mod, input, output) =>
                    captures.Add(new LayerCapture(n, mod.TypeName, input as Tensor, output as Tensor))));
            }
            var y = _module.call(x);
            return (y, captures);
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<LayerInfo> DeclaredLayers =>
        _module.named_modules().Where(p => p.name.Length > 0)
            .Select(p => new LayerInfo(p.name, p.module.TypeName, p.module.named_children().Any())).ToList();

    /// <inheritdoc />
    public Func<Tensor, Tensor>? LayerFunction(string name)
    {
        foreach (var (n, m) in _module.named_modules())
            if (n == name && m is nn.Module<Tensor, Tensor> typed) return typed.forward;
        return null;
    }

    /// <inheritdoc />
    public IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> State() =>
        _module.named_parameters().Select(p => (p.name, p.parameter, true))
            .Concat(_module.named_buffers().Select(b => (b.name, b.buffer, false)));
}

/// <summary>Saves a model's parameters, buffers, training mode and dtype, and puts them back on dispose.</summary>
internal sealed class ModelStateGuard : IDisposable
{
    private readonly IAuditModel _model;
    private readonly bool _training;
    private readonly ScalarType _dtype;
    private readonly List<(Tensor Live, Tensor Saved)> _saved = new();

    public ModelStateGuard(IAuditModel model)
    {
        _model = model;
        _training = model.Training;
        _dtype = model.DType;
        using (no_grad())
            foreach (var (_, t, _) in model.State())
                _saved.Add((t, t.detach().clone().DetachFromDisposeScope()));
    }

    /// <summary>Restores values in place (after running in train mode, which updates BatchNorm statistics).</summary>
    public void RestoreValues()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var live = _model.State().Select(s => s.Tensor).ToList();
        if (live.Count != _saved.Count) return;
        for (int i = 0; i < live.Count; i++)
        {
            if (live[i].dtype != _saved[i].Saved.dtype) continue;
            live[i].copy_(_saved[i].Saved);
        }
    }

    public void Dispose()
    {
        if (_model.DType != _dtype) _model.ConvertTo(_dtype);
        RestoreValues();
        _model.SetTraining(_training);
        foreach (var (_, s) in _saved) s.Dispose();
        _saved.Clear();
    }
}
