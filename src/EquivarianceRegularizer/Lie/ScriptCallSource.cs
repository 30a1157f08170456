using EquivarianceRegularizer.Jit;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// Observes a TorchScript model's module calls through the taps of its rewritten archive
/// (<see cref="TappedScriptModule.ForwardWithTaps(Tensor, bool)"/>): every submodule call's input and output, in
/// completion order, inside the autograd graph, so the gradient with respect to a tap's output is taken directly.
/// </summary>
internal sealed class ScriptCallSource : ILieCallSource
{
    private readonly TappedScriptModule _model;
    private readonly Dictionary<string, jit.ScriptModule> _modules = new(StringComparer.Ordinal);

    public ScriptCallSource(TappedScriptModule model)
    {
        _model = model;
        foreach (var (name, module) in model.Module.named_modules())
            if (name.Length > 0 && module is jit.ScriptModule script) _modules.TryAdd(name, script);
    }

    public string ModelName => "the TorchScript model";

    public bool HandlesMayAlias => true;

    public Tensor Forward(Tensor x) => _model.Module.call(x);

    public (Tensor Output, IReadOnlyList<LieModuleCall> Calls) Capture(Tensor x, ISet<string> notes)
    {
        var (y, taps) = _model.ForwardWithTaps(x);
        foreach (var u in _model.Rewrite.Untapped)
            notes.Add($"A call in the archive could not be tapped ({u}): its share is counted in its caller's functional code.");
        var calls = new List<LieModuleCall>(taps.Count);
        foreach (var tap in taps)
        {
            if (tap.Input is null || tap.Output is null || tap.SkipReason is not null || !_modules.TryGetValue(tap.Name, out var module))
            {
                notes.Add($"'{tap.Name}' ({tap.TypeName}) is not a one-tensor-in, one-tensor-out call ({tap.SkipReason ?? "no module of that name"}): its share is counted in its parent's functional code.");
                continue;
            }
            if (!tap.Input.is_floating_point() || !tap.Output.is_floating_point())
            {
                notes.Add($"'{tap.Name}' ({tap.TypeName}) takes or returns a non-floating tensor: its share is counted in its parent's functional code.");
                continue;
            }
            calls.Add(new LieModuleCall
            {
                Name = tap.Name,
                Kind = tap.TypeName,
                Input = tap.Input.detach(),
                Output = tap.Output.detach(),
                GradientHandle = tap.Output,
                Forward = h => module.invoke("forward", h) as Tensor
                    ?? throw new InvalidOperationException($"'{tap.Name}' did not return a tensor when run on its own."),
                InputIsModelInput = SameValues(tap.Input, x),
            });
        }
        LieModuleCall.LinkParents(calls);
        // The model's output is the last top-level call's output when the forward returns it unchanged.
        var last = calls.LastOrDefault(c => c.Parent < 0);
        if (last is not null && SameValues(last.Output, y)) last.OutputIsModelOutput = true;
        return (y, calls);
    }

    public void ReleaseCapture()
    {
    }

    // TorchSharp exposes no data pointer to compare taps (new handles on the forward's own tensors) with x and y:
    // equal shape and exactly equal values stand in for identity.
    internal static bool SameValues(Tensor a, Tensor b)
    {
        if (!a.shape.AsSpan().SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var _ = no_grad();
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }
}
