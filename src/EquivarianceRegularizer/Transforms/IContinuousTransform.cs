namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A transform of a continuous (Lie) group with a one-parameter subgroup g_t. It exposes the Lie-algebra
/// generator through its action: <see cref="Tangent"/> is d/dt ρ(g_t)x at t = 0.
/// </summary>
public interface IContinuousTransform : IGroupTransform
{
    /// <summary>Applies g_t with the same t to every sample (t = 0 is the identity).</summary>
    Tensor ApplyAt(Tensor x, double t);

    /// <summary>The infinitesimal action d/dt ρ(g_t)x at t = 0 (the generator applied to x).</summary>
    Tensor Tangent(Tensor x);

    /// <summary>Whether the action is exact on a pixel grid (false for interpolating image transforms).</summary>
    bool IsExactOnGrid { get; }
}
