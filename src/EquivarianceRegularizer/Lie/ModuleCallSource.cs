using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// Observes a TorchSharp model's module calls with one forward hook per module (TorchSharp keeps hooks in a dictionary
/// whose order is not registration order after removals, so one hook does everything). Each observed output gets a
/// zero probe leaf added, so that the gradient with respect to the probe is the gradient with respect to that output
/// even after the model has disposed the output (Sequential disposes its intermediates).
/// </summary>
internal sealed class ModuleCallSource : ILieCallSource, IDisposable
{
    private readonly TensorModel _model;
    private readonly List<IDisposable> _hooks = new();
    private readonly List<string> _unobservable = new();
    private List<(LieModuleCall Call, Tensor Result)>? _recording;
    private List<Tensor>? _owned;
    private Tensor? _input;
    private readonly List<string> _skipped = new();

    public ModuleCallSource(TensorModel model)
    {
        _model = model;
        foreach (var (name, module) in model.Module.named_modules())
        {
            if (name.Length == 0) continue;
            string n = name;
            var hook = ModuleHooks.Observe(module, (m, input, output) => OnCall(n, m, input, output));
            if (hook is null) _unobservable.Add($"'{n}' ({module.TypeName()}) cannot be observed (not a TorchSharp module with forward hooks): its share is counted in its parent's functional code.");
            else _hooks.Add(hook);
        }
    }

    public string ModelName => _model.Module.TypeName();

    public bool HandlesMayAlias => false;

    public Tensor Forward(Tensor x) => _model.call(x);

    public (Tensor Output, IReadOnlyList<LieModuleCall> Calls) Capture(Tensor x, ISet<string> notes)
    {
        _recording = new List<(LieModuleCall, Tensor)>();
        _owned = new List<Tensor>();
        _input = x;
        _skipped.Clear();
        Tensor y;
        try
        {
            y = _model.call(x);
        }
        finally
        {
            _input = null;
        }
        var recorded = _recording;
        _recording = null;
        foreach (var n in _unobservable) notes.Add(n);
        foreach (var n in _skipped) notes.Add(n);
        var calls = recorded.Select(r => r.Call).ToList();
        for (int i = 0; i < calls.Count; i++) calls[i].OutputIsModelOutput = ReferenceEquals(recorded[i].Result, y);
        LieModuleCall.LinkParents(calls);
        return (y, calls);
    }

    private Tensor? OnCall(string name, nn.Module module, Tensor? input, Tensor? output)
    {
        if (_recording is null || _owned is null) return null;
        if (input is null || output is null)
        {
            _skipped.Add($"'{name}' ({module.TypeName()}) does not take and return one tensor: its share is counted in its parent's functional code.");
            return null;
        }
        if (!input.is_floating_point() || !output.is_floating_point())
        {
            _skipped.Add($"'{name}' ({module.TypeName()}) takes or returns a non-floating tensor: its share is counted in its parent's functional code.");
            return null;
        }
        var typed = (nn.Module<Tensor, Tensor>)module;
        var probe = zeros_like(output).requires_grad_(true).DetachFromDisposeScope();
        var inCopy = input.detach().clone().DetachFromDisposeScope();
        var outCopy = output.detach().clone().DetachFromDisposeScope();
        _owned.Add(probe);
        _owned.Add(inCopy);
        _owned.Add(outCopy);
        var result = output + probe;
        _recording.Add((new LieModuleCall
        {
            Name = name,
            Kind = module.TypeName(),
            Input = inCopy,
            Output = outCopy,
            GradientHandle = probe,
            Forward = typed.call,
            InputIsModelInput = ReferenceEquals(input, _input),
        }, result));
        return result;
    }

    public void ReleaseCapture()
    {
        // Copies and probes are made outside every dispose scope (a model's own scopes would dispose them early).
        if (_owned is null) return;
        foreach (var t in _owned) t.Dispose();
        _owned = null;
    }

    public void Dispose()
    {
        ReleaseCapture();
        foreach (var h in _hooks) h.Dispose();
        _hooks.Clear();
    }
}
