namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>
/// Runs its stages in order, each stage's output feeding the next. Stages are children named "0", "1", … unless given
/// names. <see cref="stages"/> exposes them in order so a caller can run them one by one (e.g. for per-layer analysis);
/// each stage runs through its <c>call</c>, so its hooks fire.
/// </summary>
public sealed class Sequential : torch.nn.Module<Tensor, Tensor>
{
    private readonly List<(string name, torch.nn.Module<Tensor, Tensor> module)> _stages = new();

    internal Sequential() : base(nameof(Sequential)) { }

    /// <summary>The stages with their names, in the order they run.</summary>
    public IReadOnlyList<(string name, torch.nn.Module<Tensor, Tensor> module)> stages => _stages;

    /// <summary>Number of stages.</summary>
    public int Count => _stages.Count;

    /// <summary>The stage at <paramref name="index"/> (negative counts from the end).</summary>
    public torch.nn.Module<Tensor, Tensor> this[int index]
    {
        get
        {
            int i = index < 0 ? index + _stages.Count : index;
            if (i < 0 || i >= _stages.Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Sequential has {_stages.Count} stages.");
            return _stages[i].module;
        }
    }

    /// <summary>Appends a stage named by its position ("0", "1", …).</summary>
    public Sequential append(torch.nn.Module<Tensor, Tensor> module) => append(_stages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);

    /// <summary>Appends a stage under <paramref name="name"/> (unique within this Sequential, no '.').</summary>
    public Sequential append(string name, torch.nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_stages.Any(s => s.name == name))
            throw new ArgumentException($"Sequential already has a stage named '{name}'.", nameof(name));
        register_module(name, module);
        _stages.Add((name, module));
        return this;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_stages.Count == 0) return Native.Ops.Call("alias", input);
        // Intermediate results stay alive (in the caller's dispose scope): hooks and observers may hold on to them.
        Tensor x = input;
        foreach (var (_, module) in _stages) x = module.call(x);
        return x;
    }
}
