using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// What a Lie derivative differentiates along: the continuous input transform, and the symmetry it belongs to when the
/// caller gave one (null: ρ₂ is inferred from the output, the transform itself on feature maps of an image flow,
/// trivial otherwise).
/// </summary>
internal readonly record struct LieAction(IContinuousTransform Input, Symmetry? Symmetry)
{
    /// <summary>The transform whose tangent is subtracted on outputs where ρ₂ acts.</summary>
    public IContinuousTransform OutputTransform => Symmetry?.Output as IContinuousTransform ?? Input;

    /// <summary>Whether ρ₂ is non-trivial on the output <paramref name="y"/>.</summary>
    public bool ActsOnOutput(Tensor y) =>
        Symmetry is { } s ? !s.IsInvariant : Input is ImageFlowTransform && LieDerivative.IsFeatureMap(y);

    /// <summary>L_X f = J·dρ₁(x) − dρ₂(f(x)), the second term where ρ₂ acts (a new handle either way).</summary>
    public Tensor SubtractOutputTangent(Tensor jv, Tensor y)
    {
        if (!ActsOnOutput(y)) return jv.alias(); // a new handle on the same tensor (keeps the autograd graph)
        using var dy = OutputTransform.Tangent(y);
        return jv - dy;
    }

    /// <summary>The name for reports: the symmetry's, or the transform's.</summary>
    public string Name => Symmetry?.Name ?? Input.Name;
}
