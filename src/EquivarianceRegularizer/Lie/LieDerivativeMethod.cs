namespace EquivarianceRegularizer.Lie;

/// <summary>How L_X f(x) is computed.</summary>
public enum LieDerivativeMethod
{
    /// <summary>
    /// One forward-mode jvp of the model with the input tangent where libtorch's forward mode is reachable and covers
    /// every operation of the model; double backward otherwise (both exact; the default). A
    /// <see cref="LeeResult.Method"/> says which ran.
    /// </summary>
    ForwardMode,
    /// <summary>
    /// The reverse-of-reverse trick: J·v = ∂/∂u ⟨J^T u, v⟩ by two backward passes with create_graph. Exact; slower;
    /// for models whose ops lack forward-mode derivatives.
    /// </summary>
    DoubleBackward,
    /// <summary>Symmetric finite difference [ρ₂(g_h)⁻¹f(ρ₁(g_h)x) − ρ₂(g_−h)⁻¹f(ρ₁(g_−h)x)] / 2h (a cross-check).</summary>
    FiniteDifference,
}
