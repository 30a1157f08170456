namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// Reverse-mode gradients of one output with respect to chosen tensors, computed through <c>Tensor.backward(inputs:)</c>.
/// Why not <c>torch.autograd.grad</c>: in TorchSharp 0.107 its native entry point (THSAutograd_grad) catches no
/// exception, so any libtorch error inside it — an operator without a double-backward formula (grid_sampler_2d_backward),
/// an output that does not require grad — terminates the whole process. <c>backward</c>'s entry point catches them and
/// they arrive as .NET exceptions. Every gradient the library takes goes through here.
/// </summary>
internal static class Gradients
{
    /// <summary>
    /// d(<paramref name="output"/>·<paramref name="gradOutput"/>)/d<paramref name="inputs"/>: one entry per input, null where
    /// the output does not depend on it. Inputs must require grad; a leaf's own .grad is saved and restored, so a caller's
    /// accumulated gradients are untouched; with <paramref name="createGraph"/> the gradients are
    /// differentiable.
    /// </summary>
    /// <exception cref="InvalidOperationException">The output does not require grad, or libtorch cannot differentiate the graph.</exception>
    /// <exception cref="NotSupportedException">An operation has no derivative of the needed order (grid_sampler_2d_backward).</exception>
    public static Tensor?[] Of(Tensor output, IReadOnlyList<Tensor> inputs, Tensor? gradOutput = null, bool createGraph = false)
        => Of(output, inputs, gradOutput, createGraph, retainGraph: true);

    /// <summary>
    /// <see cref="Of(Tensor, IReadOnlyList{Tensor}, Tensor?, bool)"/>, choosing whether the graph outlives the pass.
    /// With <paramref name="retainGraph"/> false libtorch frees each node's saved tensors as the pass goes through it
    /// (less memory at the peak); the graph can then not be differentiated again, so pass false only for the last
    /// pass through it, and never with <paramref name="createGraph"/> (a differentiable result needs the graph).
    /// </summary>
    internal static Tensor?[] Of(Tensor output, IReadOnlyList<Tensor> inputs, Tensor? gradOutput, bool createGraph, bool retainGraph)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!output.requires_grad)
            throw new InvalidOperationException("Cannot differentiate: the output does not depend on any tensor that requires grad (was it computed under no_grad, or from detached inputs?).");
        var saved = new Tensor?[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            if (!inputs[i].requires_grad)
                throw new ArgumentException($"Input {i} does not require grad, so no gradient can be taken with respect to it.", nameof(inputs));
            // Non-leaf inputs (a layer's output inside the graph) get a .grad only when asked to keep one.
            if (!inputs[i].is_leaf) inputs[i].retain_grad();
            else saved[i] = inputs[i].grad;
            inputs[i].grad = null;
        }
        var result = new Tensor?[inputs.Count];
        try
        {
            try
            {
                output.backward(gradOutput is null ? null : new[] { gradOutput }, retain_graph: retainGraph || createGraph, create_graph: createGraph, inputs: inputs.ToArray());
                if (createGraph) ExplainCreateGraphWarning();
            }
            catch (System.Runtime.InteropServices.ExternalException e) when (e.Message.Contains("not implemented", StringComparison.Ordinal))
            {
                throw new NotSupportedException($"An operation of this computation has no derivative of the order needed in libtorch: {e.Message.FirstLine()}", e);
            }
            catch (System.Runtime.InteropServices.ExternalException e)
            {
                throw new InvalidOperationException($"libtorch could not differentiate this computation: {e.Message.FirstLine()}", e);
            }
            for (int i = 0; i < inputs.Count; i++) result[i] = inputs[i].grad;
        }
        finally
        {
            for (int i = 0; i < inputs.Count; i++) inputs[i].grad = saved[i];
        }
        return result;
    }

    /// <summary>The line written to standard error after the process's first backward with create_graph.</summary>
    internal const string CreateGraphNote =
        "EquivarianceRegularizer: libtorch's warning \"Using backward() with create_graph=True will create a reference cycle\" " +
        "is about the library's second-order derivatives; it resets every gradient it creates, so no cycle or leak remains.";

    private static int createGraphNoted;

    /// <summary>
    /// libtorch prints its reference-cycle warning once per process, on standard error, at the first backward with
    /// create_graph (every such backward accumulates into .grad; <c>torch.autograd.grad</c>, which does not, has a native
    /// entry point that aborts the process on any libtorch error). Gradients here restores each input's .grad at once, so
    /// the cycle the warning describes never outlives the call: one line of ours says so, once per process.
    /// </summary>
    private static void ExplainCreateGraphWarning()
    {
        if (Interlocked.Exchange(ref createGraphNoted, 1) == 0) Console.Error.WriteLine(CreateGraphNote);
    }

    /// <summary>Makes the next create_graph backward write <see cref="CreateGraphNote"/> again (tests only).</summary>
    internal static void ResetCreateGraphNote() => Interlocked.Exchange(ref createGraphNoted, 0);
}
