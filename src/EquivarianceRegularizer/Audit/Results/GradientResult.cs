
namespace EquivarianceRegularizer.Audit;

/// <summary>The gradient test: ∇(ℓ∘f)(T x) against T ∇(ℓ∘f)(x) for ℓ = ½‖·‖² (invariant under orthogonal output actions).</summary>
public sealed class GradientResult
{
    /// <summary>Whether the test was judged.</summary>
    public required bool Judged { get; init; }

    /// <summary>False when the test does not apply (interpolating transforms); such a result does not affect the verdict.</summary>
    public bool Applicable { get; init; } = true;

    /// <summary>Why not, when not judged.</summary>
    public string? NotJudgedReason { get; init; }

    /// <summary>Relative errors (present when computed).</summary>
    public ErrorStats? Relative { get; init; }

    /// <summary>Median per-sample input-gradient norm.</summary>
    public double MedianGradientNorm { get; init; } = double.NaN;

    /// <summary>
    /// The gradients' rounding level: for a model run in float32, the median per-sample ‖∇ − ∇ in float64‖ over the
    /// samples recomputed in float64; for a model run in float64, the magnitude floor of <see cref="Thresholds.GradientFloor"/>.
    /// </summary>
    public double Floor { get; init; } = double.NaN;

    /// <summary>Grade when judged.</summary>
    public ErrorGrade? Grade { get; init; }
}
