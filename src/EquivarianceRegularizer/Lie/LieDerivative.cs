using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// Lie derivatives of a model along a continuous transform:
/// L_X f(x) = d/dt [ρ₂(g_t)⁻¹ f(ρ₁(g_t) x)] at t = 0 = J_f(x)·dρ₁(x) − dρ₂(f(x)).
/// The input tangent dρ₁(x) comes from <see cref="IContinuousTransform.Tangent"/> (computed directly, because
/// grid_sample has no forward-mode derivative), then one jvp carries it through the model.
/// <para>
/// Every method takes either a <see cref="Symmetry"/> (its input action continuous, its output action continuous or
/// trivial: ρ₂ is given) or just the continuous transform: then ρ₂ is inferred from the output, the transform itself
/// for N×C×H×W feature maps of an image flow and trivial otherwise (logits, embeddings).
/// </para>
/// </summary>
public static class LieDerivative
{
    /// <summary>L_X f(x) for a batch x (same shape as f(x)), by the method in <paramref name="options"/>; ρ₂ inferred from the output.</summary>
    public static Tensor Compute(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform, LieOptions? options = null) =>
        Compute(model, x, Along(transform), options);

    /// <summary>L_X f(x) for a batch x (same shape as f(x)) for <paramref name="symmetry"/>, by the method in <paramref name="options"/>.</summary>
    public static Tensor Compute(Func<Tensor, Tensor> model, Tensor x, Symmetry symmetry, LieOptions? options = null) =>
        Compute(model, x, Along(symmetry), options);

    /// <summary>
    /// (f(x), L_X f(x)) by one forward-mode jvp; ρ₂ inferred from the output. With <paramref name="differentiable"/> the
    /// result keeps its autograd graph (backpropagate it to train against the LEE); otherwise it runs under no_grad.
    /// </summary>
    public static (Tensor output, Tensor lie) Evaluate(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform, bool differentiable = false) =>
        Evaluate(model, x, Along(transform), differentiable);

    /// <summary>(f(x), L_X f(x)) by one forward-mode jvp for <paramref name="symmetry"/> (see the other overload).</summary>
    public static (Tensor output, Tensor lie) Evaluate(Func<Tensor, Tensor> model, Tensor x, Symmetry symmetry, bool differentiable = false) =>
        Evaluate(model, x, Along(symmetry), differentiable);

    /// <summary>
    /// L_X f(x) by the reverse-of-reverse trick (two backward passes, the first with create_graph): the baseline a
    /// binding without forward-mode AD has to use. ρ₂ inferred from the output.
    /// </summary>
    public static Tensor ByDoubleBackward(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform) => ByDoubleBackward(model, x, Along(transform));

    /// <summary>L_X f(x) by double backward for <paramref name="symmetry"/>.</summary>
    public static Tensor ByDoubleBackward(Func<Tensor, Tensor> model, Tensor x, Symmetry symmetry) => ByDoubleBackward(model, x, Along(symmetry));

    /// <summary>
    /// The symmetric finite-difference estimate [ρ₂(g_h)⁻¹f(ρ₁(g_h)x) − ρ₂(g_−h)⁻¹f(ρ₁(g_−h)x)] / 2h; ρ₂ inferred from
    /// the output. Symmetric on purpose: bilinear resampling has a kink at t = 0, so a one-sided quotient measures the
    /// interpolation.
    /// </summary>
    public static Tensor ByFiniteDifference(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform, double step = 1e-3) =>
        ByFiniteDifference(model, x, Along(transform), step);

    /// <summary>The symmetric finite-difference estimate for <paramref name="symmetry"/> (see the other overload).</summary>
    public static Tensor ByFiniteDifference(Func<Tensor, Tensor> model, Tensor x, Symmetry symmetry, double step = 1e-3) =>
        ByFiniteDifference(model, x, Along(symmetry), step);

    /// <summary>N×C×H×W with H, W ≥ 2: a tensor a geometric transform can act on.</summary>
    public static bool IsFeatureMap(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var s = t.shape;
        return s.Length == 4 && s[2] >= 2 && s[3] >= 2;
    }

    internal static LieAction Along(IContinuousTransform transform) => new(transform ?? throw new ArgumentNullException(nameof(transform)), null);

    internal static LieAction Along(Symmetry symmetry)
    {
        ArgumentNullException.ThrowIfNull(symmetry);
        var input = symmetry.Input as IContinuousTransform
            ?? throw new ArgumentException($"A Lie derivative needs a continuous input transform; '{symmetry.Input.Name}' is not one.", nameof(symmetry));
        if (!symmetry.IsInvariant && symmetry.Output is not IContinuousTransform)
            throw new ArgumentException($"A Lie derivative needs a continuous or trivial output action; '{symmetry.Output.Name}' ({symmetry.Output.Group}) is neither.", nameof(symmetry));
        return new(input, symmetry);
    }

    internal static Tensor Compute(Func<Tensor, Tensor> model, Tensor x, LieAction along, LieOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        options ??= LieOptions.Default;
        return options.Method switch
        {
            LieDerivativeMethod.ForwardMode => Evaluate(model, x, along, options.Differentiable).lie,
            LieDerivativeMethod.DoubleBackward => ByDoubleBackward(model, x, along),
            LieDerivativeMethod.FiniteDifference => ByFiniteDifference(model, x, along, options.FiniteDifferenceStep),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Method, "Unknown method."),
        };
    }

    /// <summary>
    /// (f(x), L_X f(x)) by one jvp of the model with the input tangent (<see cref="Jvp.Compute"/>: forward mode where
    /// libtorch's is reachable, else double backward; or double backward when asked). f(x) comes from the jvp's own
    /// pass, so measuring needs no further forward.
    /// </summary>
    internal static (Tensor output, Tensor lie) Evaluate(Func<Tensor, Tensor> model, Tensor x, LieAction along, bool differentiable,
        JvpMethod method = JvpMethod.Auto)
    {
        var (output, lie, _) = EvaluateReportingMethod(model, x, along, differentiable, method);
        return (output, lie);
    }

    /// <summary>As <see cref="Evaluate(Func{Tensor, Tensor}, Tensor, LieAction, bool, JvpMethod)"/>, and which jvp method ran.</summary>
    internal static (Tensor output, Tensor lie, JvpMethod used) EvaluateReportingMethod(Func<Tensor, Tensor> model, Tensor x, LieAction along,
        bool differentiable, JvpMethod method)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        // Forward-mode AD does not need the backward graph: no_grad saves recording it for trainable parameters.
        using var gradMode = differentiable ? enable_grad() : no_grad();
        var v = along.Input.Tangent(x);
        var (y, jv, used) = Jvp.ComputeReportingMethod(model, x, v, method, createGraph: differentiable);
        var lie = along.SubtractOutputTangent(jv, y);
        return (y.MoveToOuterDisposeScope(), lie.MoveToOuterDisposeScope(), used);
    }

    internal static Tensor ByDoubleBackward(Func<Tensor, Tensor> model, Tensor x, LieAction along)
    {
        using var scope = NewDisposeScope();
        var (_, lie) = Evaluate(model, x, along, false, JvpMethod.DoubleBackward);
        return lie.MoveToOuterDisposeScope();
    }

    internal static Tensor ByFiniteDifference(Func<Tensor, Tensor> model, Tensor x, LieAction along, double step)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        if (!(step > 0) || !double.IsFinite(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be positive and finite.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var plus = model(along.Input.ApplyAt(x, step));
        var minus = model(along.Input.ApplyAt(x, -step));
        if (along.ActsOnOutput(plus))
        {
            var output = along.OutputTransform;
            plus = output.ApplyAt(plus, -step);
            minus = output.ApplyAt(minus, step);
        }
        return ((plus - minus) / (2 * step)).MoveToOuterDisposeScope();
    }
}
