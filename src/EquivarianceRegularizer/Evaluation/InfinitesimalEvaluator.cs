using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Evaluation;

/// <summary>
/// The infinitesimal form of the evaluation for continuous transforms: the Lie derivative of the model along the
/// one-parameter subgroup, L_X f(v) = d/dt ρ_out(g_t)⁻¹ f(ρ_in(g_t) v) at t = 0 = J_f(v)·(X_in v) − X_out f(v),
/// computed by one forward-mode jvp (no resampling of the input, so no interpolation error enters through the
/// model, and no second forward). Zero for every v exactly when the model commutes with the subgroup.
/// </summary>
internal static class InfinitesimalEvaluator
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
        var along = Lie.LieDerivative.Along(symmetry);
        using var scope = NewDisposeScope();
        var dtype = EquivarianceEvaluator.ModelDtype(model);
        var v = (inputs.dtype == dtype ? inputs : inputs.to(dtype)).OnDevice(model.Device);
        Tensor y, lie;
        // The one Lie derivative (Lie/LieDerivative.cs); differentiable with respect to the parameters whenever grad mode is on.
        using (new NormStatisticsGuard(model.Module, normLayers))
            (y, lie) = Lie.LieDerivative.Evaluate(model.call, v, along, differentiable: is_grad_enabled());
        if (!throwOnNonFinite) lie = lie + y.detach() * 0.0; // NaN exactly where model(v) is non-finite
        else if (!y.all_finite())
            throw new InvalidOperationException($"model(v) contains NaN or infinite values; the Lie derivative along {along.Input.Name} is undefined there.");
        else if (!lie.all_finite())
            throw new InvalidOperationException($"The Lie derivative along {along.Input.Name} contains NaN or infinite values.");
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
