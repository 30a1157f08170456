using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Audit;

/// <summary>One submodule call seen during a forward: its dotted name, type, input and output.</summary>
/// <param name="Name">Dotted module name (e.g. "features.0").</param>
/// <param name="TypeName">Module type (e.g. "Conv2d").</param>
/// <param name="Input">The first tensor input, or null when the input is not a single tensor.</param>
/// <param name="Output">The tensor output, or null when the output is not a single tensor.</param>
/// <param name="GradientTarget">A graph-connected tensor whose gradient equals the gradient with respect to the
/// layer's output (the output itself, or a zero probe added to it), present when gradient probes were asked for.</param>
public sealed record LayerCapture(string Name, string TypeName, Tensor? Input, Tensor? Output, Tensor? GradientTarget = null);

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
    /// their parent). The captured tensors are detached copies owned by the caller's dispose scope; with
    /// <paramref name="gradientProbes"/> each capture also carries a <see cref="LayerCapture.GradientTarget"/>.
    /// </summary>
    (Tensor Output, IReadOnlyList<LayerCapture> Layers) ForwardWithLayers(Tensor x, bool gradientProbes = false);

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
    private readonly TensorModel _model;
    private readonly nn.Module _module;

    /// <summary>Wraps <paramref name="model"/> (not owned).</summary>
    public ModuleAuditModel(TensorModel model, string? name = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _module = model.Module;
        Name = name ?? _module.TypeName();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The wrapped model (for the layer-wise Lie derivative).</summary>
    internal TensorModel Model => _model;

    /// <inheritdoc />
    public ScalarType DType => _model.DType;

    /// <inheritdoc />
    public bool Training => _module.training;

    /// <inheritdoc />
    public void SetTraining(bool training) => _module.train(training);

    /// <inheritdoc />
    public void ConvertTo(ScalarType dtype) => _module.to(dtype);

    /// <inheritdoc />
    public Tensor Forward(Tensor x) => _model.call(x);

    /// <inheritdoc />
    public (Tensor Output, IReadOnlyList<LayerCapture> Layers) ForwardWithLayers(Tensor x, bool gradientProbes = false)
    {
        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in _module.named_modules()) if (n.Length > 0) names.TryAdd(m, n);
        // Gradient probes: zero leaves, made here in the caller's scope, added to each layer output by a hook, so
        // that the gradient with respect to a probe is the gradient with respect to that output. Their shapes come
        // from a first, probe-free pass.
        var probes = new Dictionary<nn.Module, Queue<Tensor>>(ReferenceEqualityComparer.Instance);
        if (gradientProbes)
        {
            var shapes = new List<(nn.Module Module, long[] Shape, ScalarType DType)>();
            var watch = names.Keys.Select(m => ModuleHooks.Observe(m, (mod, _, o) =>
            {
                if (o is { } t && t.dtype.IsFloatingPoint()) shapes.Add((mod, t.shape, t.dtype));
                return null;
            })).OfType<IDisposable>().ToList();
            try
            {
                using var _ = no_grad();
                using var first = _model.call(x.detach());
            }
            finally
            {
                foreach (var h in watch) h.Dispose();
            }
            foreach (var (m, shape, dtype) in shapes)
            {
                if (!probes.TryGetValue(m, out var q)) probes[m] = q = new Queue<Tensor>();
                q.Enqueue(zeros(shape, dtype).requires_grad_());
            }
        }

        // Inner modules dispose their intermediates when they return, so observers copy what they see at once,
        // outside every dispose scope; the copies are handed to the caller's scope afterwards.
        var raw = new List<(string Name, string Type, Tensor? In, Tensor? Out, Tensor? Probe)>();
        var handles = new List<IDisposable>();
        static Tensor? Copy(object? o)
        {
            if (o is not Tensor t) return null;
            using var detached = t.detach(); // the intermediate handle, released here whatever scope is open
            return detached.clone().DetachFromDisposeScope();
        }
        try
        {
            foreach (var (m, n) in names)
            {
                // One hook per module does both jobs: TorchSharp keeps hooks in a dictionary whose order is not the
                // order of registration once hooks have been removed, so two hooks could run in either order.
                var observer = ModuleHooks.Observe(m, (mod, input, output) =>
                {
                    Tensor? probe = null;
                    if (output is not null && probes.TryGetValue(mod, out var q) && q.Count > 0 && q.Peek().shape.SequenceEqual(output.shape))
                        probe = q.Dequeue();
                    raw.Add((n, mod.TypeName(), Copy(input), Copy(output), probe));
                    return probe is null ? null : output! + probe;
                });
                if (observer is not null) handles.Add(observer);
            }
            var y = _model.call(x);
            var captures = raw.Select(c => new LayerCapture(c.Name, c.Type, Adopt(c.In), Adopt(c.Out), c.Probe)).ToList();
            return (y, captures);
        }
        catch
        {
            foreach (var c in raw) { c.In?.Dispose(); c.Out?.Dispose(); }
            throw;
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
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
    public IReadOnlyList<LayerInfo> DeclaredLayers =>
        _module.named_modules().Where(p => p.name.Length > 0)
            .Select(p => new LayerInfo(p.name, p.module.TypeName(), p.module.named_children().Any())).ToList();

    /// <inheritdoc />
    public Func<Tensor, Tensor>? LayerFunction(string name)
    {
        foreach (var (n, m) in _module.named_modules())
            if (n == name && m is nn.Module<Tensor, Tensor> typed) return typed.forward;
        return null;
    }

    /// <inheritdoc />
    public IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> State() =>
        _module.named_parameters().Select(p => (p.name, (Tensor)p.parameter, true))
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
            {
                // The detached view is an intermediate handle: released at once (this runs outside any dispose scope).
                using var detached = t.detach();
                _saved.Add((t, detached.clone().DetachFromDisposeScope()));
            }
    }

    /// <summary>Restores values in place (after running in train mode, which updates BatchNorm statistics).</summary>
    public void RestoreValues()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var live = _model.State().Select(s => s.Tensor).ToList();
        if (live.Count != _saved.Count)
            throw new InvalidOperationException($"The model's state changed during the audit ({_saved.Count} tensors saved, {live.Count} now); its values could not be restored.");
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
