namespace EquivarianceRegularizer.Lie;

/// <summary>
/// One module call observed during a forward pass, for <see cref="ModelLieAttribution"/>: what the call received and
/// returned (detached), how to run the module again on its own, and a tensor of the forward's autograd graph whose
/// gradient is the gradient with respect to the call's output.
/// </summary>
internal sealed class LieModuleCall
{
    /// <summary>The dotted module path from the root (<c>block.conv</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The module's type (<c>Conv2d</c>).</summary>
    public required string Kind { get; init; }

    /// <summary>The call's input, detached.</summary>
    public required Tensor Input { get; init; }

    /// <summary>The call's output, detached.</summary>
    public required Tensor Output { get; init; }

    /// <summary>A tensor in the forward's graph with ∂y/∂handle = ∂y/∂output (a zero probe added to the output, or the output itself).</summary>
    public required Tensor GradientHandle { get; init; }

    /// <summary>The module's own forward (observation muted while it runs).</summary>
    public required Func<Tensor, Tensor> Forward { get; init; }

    /// <summary>Whether the call received the model's input itself (the group acts on it whatever its shape).</summary>
    public bool InputIsModelInput { get; init; }

    /// <summary>Whether the call's output is the model's output (the group acts on it as the report's output representation says).</summary>
    public bool OutputIsModelOutput { get; set; }

    /// <summary>Index of the enclosing call in completion order, or −1 for the model itself.</summary>
    public int Parent { get; set; } = -1;

    /// <summary>Indices of the calls made directly inside this one.</summary>
    public List<int> Children { get; } = new();

    /// <summary>
    /// Links every call to its enclosing call: the first call completing after it whose module path is a proper prefix
    /// of its own (a container completes after its children and before anything that follows it).
    /// </summary>
    public static void LinkParents(IReadOnlyList<LieModuleCall> calls)
    {
        foreach (var c in calls) c.Children.Clear();
        for (int i = 0; i < calls.Count; i++)
        {
            calls[i].Parent = -1;
            for (int j = i + 1; j < calls.Count; j++)
            {
                if (!calls[i].Name.StartsWith(calls[j].Name + ".", StringComparison.Ordinal)) continue;
                calls[i].Parent = j;
                calls[j].Children.Add(i);
                break;
            }
        }
    }
}
