using static TorchSharp.torch;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// J_f(x)·v by two reverse passes: g(u) = J^T u is linear in a dummy cotangent u, so J·v = ∂⟨g(u), v⟩/∂u
/// (the "double-backward trick"; PyTorch's torch.autograd.functional.jvp does the same). Exact wherever reverse-mode
/// autograd is. Arguments are validated by <see cref="Jvp"/>.
/// </summary>
/// <remarks>
/// Both passes use <c>torch.autograd.backward(..., inputs)</c> into leaves of our own, not <c>torch.autograd.grad</c>:
/// TorchSharp 0.107's native grad catches no libtorch error, so any failure there (for instance "derivative for
/// aten::grid_sampler_2d_backward is not implemented") would end the process, where backward raises an exception.
/// </remarks>
internal static class DoubleBackwardJvp
{
    /// <summary>Computes (f(x), J·v); with <paramref name="createGraph"/> both keep their autograd graphs.</summary>
    public static (Tensor Output, Tensor Tangent) Compute(Func<Tensor, Tensor> f, Tensor x, Tensor v, bool createGraph)
    {
        using var scope = NewDisposeScope();
        using var gradMode = enable_grad();

        // f runs at x + shift, shift a zero leaf: ∂f/∂shift = ∂f/∂x lands in shift.grad, and an x already in a graph
        // (say an activation of the caller's model) stays connected to what produced it.
        var shift = zeros_like(x).requires_grad_(true);
        var y = f(x + shift);
        Jvp.CheckOutput(y, nameof(f));
        if (!y.requires_grad) throw NoDependence();

        // Both passes go through Gradients.Of (backward with inputs:, whose native entry catches libtorch's errors);
        // it also clears the leaves' gradients, which with create_graph would otherwise be reference cycles.
        var u = zeros_like(y).requires_grad_(true);
        var g = Gradients.Of(y, [shift], u, createGraph: true)[0];
        if (g is null) throw NoDependence();

        Tensor? tangent = null;
        if (g.requires_grad)
        {
            try
            {
                // The last pass through the graph: without createGraph nothing differentiates it again, so it frees
                // each node's saved tensors as it goes (a lower peak; same values).
                tangent = Gradients.Of(g, [u], v, createGraph, retainGraph: createGraph)[0];
            }
            catch (NotSupportedException e)
            {
                throw new NotSupportedException(
                    "The double-backward Jacobian-vector product needs second derivatives, and an operation of the " +
                    $"function has none in libtorch ({e.Message}); JvpMethod.ForwardMode still applies where " +
                    "that operation has a forward-mode derivative.", e);
            }
        }
        // No path from u means J^T u does not depend on u: a Jacobian that is zero by its formula (sign, round, ...).
        tangent ??= zeros_like(y);
        if (!createGraph)
        {
            y = y.detach();
            tangent = tangent.detach();
        }
        return (y.MoveToOuterDisposeScope(), tangent.MoveToOuterDisposeScope());
    }

    private static ArgumentException NoDependence() => new(
        "The function's output does not depend on its input through differentiable operations, so its " +
        "Jacobian-vector product is undefined here. Check that the function uses its argument and does not detach it " +
        "or run under torch.no_grad().", "f");
}
