using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Audit;

/// <summary>Audits one of our <see cref="nn.Module{T, TResult}"/> models, capturing layers with forward observers.</summary>
internal sealed class ModuleAuditModel : IAuditModel
{
    private readonly TensorModel _model;
    private readonly nn.Module _module;
    private ModuleDtypeConversion? _conversion;

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

    /// <inheritdoc/>
    public Device Device => _model.Device;

    /// <inheritdoc />
    public bool Training => _module.training;

    /// <inheritdoc />
    public void SetTraining(bool training) => _module.train(training);

    /// <inheritdoc />
    /// <remarks>The model's own Parameter and buffer objects are kept aside, not replaced: converting back to the
    /// model's original dtype puts those very objects back, so an optimizer built on them steps normally afterwards.</remarks>
    public void ConvertTo(ScalarType dtype)
    {
        _conversion?.Dispose();
        _conversion = null;
        if (DType != dtype) _conversion = ModuleDtypeConversion.Convert(_module, dtype);
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor x) => _model.call(x);

    /// <inheritdoc />
    public (Tensor Output, IReadOnlyList<LayerCapture> Layers) ForwardWithLayers(Tensor x, bool gradientProbes = false)
    {
        ArgumentNullException.ThrowIfNull(x);
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
