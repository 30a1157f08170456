namespace EquivarianceRegularizer.Models;

/// <summary>
/// One submodule call seen during <see cref="ObservedModel.Observe(Tensor, bool)"/>: what PyTorch's forward hook on
/// that submodule would have seen. Values are copies made when the call saw them, so later in-place operations
/// (<c>ReLU(inplace=True)</c>, <c>out += identity</c>) do not change them.
/// </summary>
internal sealed class ModuleCall
{
    /// <summary>
    /// The call's name: the module's dotted path for its first call in the forward, <c>path#2</c>, <c>path#3</c>, … for
    /// later calls of the same module. The audit and the Lie derivative name rows by it.
    /// </summary>
    public required string Name { get; init; }

    /// <summary>The module's dotted path from the root, as <c>named_modules()</c> gives it (<c>layer1.0.relu</c>).</summary>
    public required string Module { get; init; }

    /// <summary>The module's type (<c>Conv2d</c>; a TorchScript module's class name).</summary>
    public required string TypeName { get; init; }

    /// <summary>The call's first tensor argument (a detached copy), or null when it is no tensor.</summary>
    public Tensor? Input { get; init; }

    /// <summary>The call's tensor result, or the first element of a tuple result (a detached copy); null for other results (a dict, a list, None).</summary>
    public Tensor? Output { get; init; }

    /// <summary>
    /// A leaf of the forward's autograd graph whose gradient is the gradient with respect to <see cref="Output"/>: a zero
    /// probe added to the output as the call returned it (so in-place operations afterwards do not move it). Present
    /// when probes were asked for and the output is a floating-point tensor.
    /// </summary>
    public Tensor? GradientTarget { get; init; }

    /// <summary>
    /// Why the call cannot be taken apart as one tensor in, one tensor out (several tensor arguments, a dict or tuple
    /// result, a module that cannot be observed); null when it can.
    /// </summary>
    public string? NotSingleTensorReason { get; init; }

    /// <summary>Runs the module alone on one tensor (with observation muted), or null when it cannot be run that way.</summary>
    public Func<Tensor, Tensor>? Forward { get; init; }

    /// <summary>Whether the call received the model's input itself.</summary>
    public bool InputIsModelInput { get; init; }

    /// <summary>Whether the call's output is the model's output.</summary>
    public bool OutputIsModelOutput { get; internal set; }

    /// <summary>Index of the enclosing call in <see cref="ObservedForward.Calls"/> (completion order), or −1 for the model itself.</summary>
    public int Parent { get; internal set; } = -1;

    /// <summary>Indices of the calls made directly inside this one.</summary>
    public IReadOnlyList<int> Children => _children;

    private readonly List<int> _children = new();

    /// <summary>
    /// Links every call to its enclosing call: the first call completing after it whose module path is a proper prefix
    /// of its own (a container completes after its children and before anything that follows it).
    /// </summary>
    internal static void LinkParents(IReadOnlyList<ModuleCall> calls)
    {
        foreach (var c in calls) c._children.Clear();
        for (int i = 0; i < calls.Count; i++)
        {
            calls[i].Parent = -1;
            for (int j = i + 1; j < calls.Count; j++)
            {
                if (!calls[i].Module.StartsWith(calls[j].Module + ".", StringComparison.Ordinal)) continue;
                calls[i].Parent = j;
                calls[j]._children.Add(i);
                break;
            }
        }
    }

    /// <summary>The name of the next call of <paramref name="module"/>: itself the first time, then "module#2", "module#3", ….</summary>
    internal static string Occurrence(Dictionary<string, int> seen, string module)
    {
        int k = seen.TryGetValue(module, out int c) ? c + 1 : 1;
        seen[module] = k;
        return k == 1 ? module : $"{module}#{k}";
    }
}

/// <summary>What one observed forward gave: the output, every submodule call in completion order, and notes on calls that could not be observed.</summary>
/// <param name="Output">The model's output (in the forward's autograd graph when grad mode was on).</param>
/// <param name="Calls">Every submodule call, children before their parent (the order PyTorch's forward hooks fire).</param>
/// <param name="Notes">Sentences on what could not be observed, once each.</param>
internal sealed record ObservedForward(Tensor Output, IReadOnlyList<ModuleCall> Calls, IReadOnlyList<string> Notes)
{
    /// <summary>Bytes of the output and of every call's input and output.</summary>
    public long CapturedBytes => Bytes(Output) + Calls.Sum(c => Bytes(c.Input) + Bytes(c.Output));

    private static long Bytes(Tensor? t) => t is null ? 0 : t.numel() * t.dtype.ElementSize();
}
