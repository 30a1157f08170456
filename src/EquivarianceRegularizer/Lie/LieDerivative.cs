using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// Lie derivatives of a model along a continuous transform:
/// L_X f(x) = d/dt [ρ₂(g_t)⁻¹ f(ρ₁(g_t) x)] at t = 0 = J_f(x)·dρ₁(x) − dρ₂(f(x)).
/// The input tangent dρ₁(x) comes from <see cref="IContinuousTransform.Tangent"/> (computed directly, because
/// grid_sample has no forward-mode derivative), then one jvp carries it through the model.
/// </summary>
public static class LieDerivative
{
    /// <summary>L_X f(x) for a batch x (same shape as f(x)), by the method in <paramref name="options"/>.</summary>
    public static Tensor Compute(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(transform);
        options ??= LieOptions.Default;
        return options.Method switch
        {
            LieDerivativeMethod.ForwardMode => Evaluate(model, x, transform, options.Output, options.Differentiable).lie,
            LieDerivativeMethod.DoubleBackward => ByDoubleBackward(model, x, transform, options.Output),
            LieDerivativeMethod.FiniteDifference => ByFiniteDifference(model, x, transform, options.FiniteDifferenceStep, options.Output),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Method, "Unknown method."),
        };
    }

    /// <summary>
    /// (f(x), L_X f(x)) by one forward-mode jvp. With <paramref name="differentiable"/> the result keeps its autograd
    /// graph (backpropagate it to train against the LEE); otherwise it runs under no_grad.
    /// </summary>
    public static (Tensor output, Tensor lie) Evaluate(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform,
        OutputRepresentation output = OutputRepresentation.Auto, bool differentiable = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(transform);
        using var scope = NewDisposeScope();
        // Forward-mode AD does not need the backward graph: no_grad saves recording it for trainable parameters.
        using var gradMode = differentiable ? enable_grad() : no_grad();
        var v = transform.Tangent(x);
        var (y, jv) = Jvp.Compute(model, x, v, createGraph: differentiable);
        var lie = SubtractOutputTangent(jv, y, transform, output);
        return (y.MoveToOuterDisposeScope(), lie.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// L_X f(x) by the reverse-of-reverse trick (two backward passes, the first with create_graph): the baseline a
    /// binding without forward-mode AD has to use.
    /// </summary>
    public static Tensor ByDoubleBackward(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform,
        OutputRepresentation output = OutputRepresentation.Auto)
    {
        using var scope = NewDisposeScope();
        var (_, lie) = EvaluateByDoubleBackward(model, x, transform, output);
        return lie.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// (f(x), L_X f(x)) by double backward: f(x) is the output of the pass the two backward passes differentiate, so
    /// measuring needs no further forward.
    /// </summary>
    internal static (Tensor output, Tensor lie) EvaluateByDoubleBackward(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform,
        OutputRepresentation output = OutputRepresentation.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(transform);
        using var scope = NewDisposeScope();
        var v = transform.Tangent(x);
        Tensor y, jv;
        using (enable_grad())
        {
            var xg = x.detach().requires_grad_();
            y = model(xg);
            var u = zeros_like(y).requires_grad_();
            var g = Gradients.Of(y, new[] { xg }, u, createGraph: true)[0]
                ?? throw new InvalidOperationException("The model output does not depend on its input.");
            // The last pass through the graph: it may free the saved tensors as it goes.
            jv = Gradients.Of(g, new[] { u }, v, createGraph: false, retainGraph: false)[0]
                ?? throw new InvalidOperationException("Double backward produced no gradient for the output direction.");
        }
        y = y.detach();
        var lie = SubtractOutputTangent(jv.detach(), y, transform, output);
        return (y.MoveToOuterDisposeScope(), lie.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The symmetric finite-difference estimate [ρ₂(g_h)⁻¹f(ρ₁(g_h)x) − ρ₂(g_−h)⁻¹f(ρ₁(g_−h)x)] / 2h. Symmetric on
    /// purpose: bilinear resampling has a kink at t = 0, so a one-sided quotient measures the interpolation.
    /// </summary>
    public static Tensor ByFiniteDifference(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform, double step = 1e-3,
        OutputRepresentation output = OutputRepresentation.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(transform);
        if (!(step > 0) || !double.IsFinite(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be positive and finite.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var plus = model(transform.ApplyAt(x, step));
        var minus = model(transform.ApplyAt(x, -step));
        if (ActsOnOutput(plus, transform, output))
        {
            plus = transform.ApplyAt(plus, -step);
            minus = transform.ApplyAt(minus, step);
        }
        return ((plus - minus) / (2 * step)).MoveToOuterDisposeScope();
    }

    /// <summary>Whether ρ₂ is non-trivial for this output under <paramref name="output"/>.</summary>
    public static bool ActsOnOutput(Tensor y, IContinuousTransform transform, OutputRepresentation output)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(transform);
        return output switch
        {
            OutputRepresentation.Invariant => false,
            OutputRepresentation.Equivariant => true,
            _ => transform is ImageFlowTransform && IsFeatureMap(y),
        };
    }

    /// <summary>N×C×H×W with H, W ≥ 2: a tensor a geometric transform can act on.</summary>
    public static bool IsFeatureMap(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var s = t.shape;
        return s.Length == 4 && s[2] >= 2 && s[3] >= 2;
    }

    internal static Tensor SubtractOutputTangent(Tensor jv, Tensor y, IContinuousTransform transform, OutputRepresentation output)
    {
        if (!ActsOnOutput(y, transform, output)) return jv.alias();
        using var dy = transform.Tangent(y);
        return jv - dy;
    }

    // A new handle on the same tensor (keeps the autograd graph).
    private static Tensor alias(this Tensor t) => t * 1.0;
}
