namespace EquivarianceRegularizer.Differentiation;

/// <summary>How <see cref="Jvp.Compute"/> computes a Jacobian-vector product J_f(x)·v.</summary>
public enum JvpMethod
{
    /// <summary>
    /// Forward mode where <see cref="Jvp.ForwardModeAvailable"/> says it can be reached and f's operations all have
    /// forward-mode formulas; otherwise, automatically, <see cref="DoubleBackward"/>. Both are exact.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// libtorch's own forward-mode AD (one dual forward pass, about 1.6× a plain forward). Throws
    /// <see cref="NotSupportedException"/> where it cannot be reached or where an operation of f has no forward-mode
    /// formula (for instance grid_sample).
    /// </summary>
    ForwardMode = 1,

    /// <summary>
    /// Two reverse passes (the "double backward" trick: J·v = ∂/∂u ⟨J^T u, v⟩). Exact, works wherever reverse-mode
    /// autograd works, about 2.2–2.5× a plain forward.
    /// </summary>
    DoubleBackward = 2,
}
