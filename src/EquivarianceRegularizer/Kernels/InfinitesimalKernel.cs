using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Kernels;

/// <summary>
/// The infinitesimal form of the kernel for continuous transforms: the Lie derivative of the model along the
/// one-parameter subgroup, L_X f(v) = d/dt ρ_out(g_t)⁻¹ f(ρ_in(g_t) v) at t = 0 = J_f(v)·(X_in v) − X_out f(v),
/// computed by one forward-mode jvp (no resampling of the input, so no interpolation error enters through the
/// model, and no second forward). Zero for every v exactly when the model commutes with the subgroup.
/// </summary>
public static class InfinitesimalKernel
{
    /// <summary>
    /// L_X f(v) per sample (same shape as model(v)) for a symmetry whose input action is continuous and whose output
    /// action is continuous (its tangent is subtracted) or trivial (an invariance). Differentiable with respect to the
    /// model's parameters, so it can be penalised in training. Throws when model(v) or the Lie derivative is non-finite,
    /// unless <paramref name="throwOnNonFinite"/> is false: then samples whose model(v) is non-finite get NaN in their
    /// row (a tangent can be finite where the value is not), for the caller to skip.
    /// </summary>
    public static Tensor LieDerivative(TensorModel model, Tensor inputs, Symmetry symmetry,
        NormLayerMode normLayers = NormLayerMode.BatchStatistics, bool throwOnNonFinite = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(symmetry);
        var input = symmetry.Input as IContinuousTransform
            ?? throw new ArgumentException($"The infinitesimal penalty needs a continuous input transform; '{symmetry.Input.Name}' is not one.", nameof(symmetry));
        var continuousOut = symmetry.Output as IContinuousTransform;
        if (continuousOut is null && !symmetry.IsInvariant)
            throw new ArgumentException($"The infinitesimal penalty needs a continuous or identity output transform; {symmetry.Output.Name} ({symmetry.Output.Group}) is neither.", nameof(symmetry));
        using var scope = NewDisposeScope();
        var dtype = EquivarianceKernel.ModelDtype(model);
        var v = inputs.dtype == dtype ? inputs : inputs.to(dtype);
        var tangentIn = input.Tangent(v);
        Tensor y, jv;
        using (new NormStatisticsGuard(model.Module, normLayers))
            (y, jv) = Jvp.Compute(model.call, v, tangentIn, createGraph: is_grad_enabled());
        var lie = continuousOut is null ? jv : jv - continuousOut.Tangent(y);
        if (!throwOnNonFinite) lie = lie + y.detach() * 0.0; // NaN exactly where model(v) is non-finite
        else if (!y.all_finite())
            throw new InvalidOperationException($"model(v) contains NaN or infinite values; the Lie derivative along {input.Name} is undefined there.");
        else if (!lie.all_finite())
            throw new InvalidOperationException($"The Lie derivative along {input.Name} contains NaN or infinite values.");
        return lie.MoveToOuterDisposeScope();
    }

    /// <summary>Per-sample squared norm ||L_X f(v)||² over the flattened sample: shape (n).</summary>
    public static Tensor SquaredNormPerSample(Tensor lieDerivative)
    {
        ArgumentNullException.ThrowIfNull(lieDerivative);
        using var scope = NewDisposeScope();
        var flat = lieDerivative.Rank() <= 1 ? lieDerivative.reshape(lieDerivative.Rank() == 0 ? 1 : lieDerivative.size(0), 1) : lieDerivative.flatten(1);
        return flat.square().sum(1).MoveToOuterDisposeScope();
    }
}
