
namespace EquivarianceRegularizer.Audit;

/// <summary>
/// The error bands against which relative errors are judged, keyed on the dtype the model runs in (not the
/// process default dtype): float32 rounding makes 1e-6 "perfect", while in float64 the same number would hide
/// a real bug. A relative error e is graded Perfect if e &lt; <see cref="Perfect"/>, Excellent if e &lt;
/// <see cref="Excellent"/>, Approximate if e &lt; <see cref="Approximate"/>, else Broken.
/// </summary>
public sealed record Thresholds
{
    /// <summary>Creates thresholds; the bands must increase.</summary>
    public Thresholds(double perfect, double excellent, double approximate, double gradientFloor)
    {
        if (!(perfect > 0 && perfect <= excellent && excellent <= approximate))
            throw new ArgumentException($"Thresholds must satisfy 0 < perfect ≤ excellent ≤ approximate (got {perfect}, {excellent}, {approximate}).", nameof(perfect));
        if (!(gradientFloor >= 0)) throw new ArgumentOutOfRangeException(nameof(gradientFloor), gradientFloor, "The gradient floor must be non-negative.");
        Perfect = perfect;
        Excellent = excellent;
        Approximate = approximate;
        GradientFloor = gradientFloor;
    }

    /// <summary>Upper bound of the perfect band.</summary>
    public double Perfect { get; init; }

    /// <summary>Upper bound of the excellent band (PASS below it).</summary>
    public double Excellent { get; init; }

    /// <summary>Upper bound of the approximate band (NEEDS_ATTENTION below it, FAIL above).</summary>
    public double Approximate { get; init; }

    /// <summary>
    /// Input-gradient norms (per sample, relative to 1 + |loss|) below this sit at the numerical floor of a model run in
    /// float64, where the gradient test refuses to judge them. A model run in float32 is not judged by magnitude: its
    /// gradients are compared with the same gradients in float64, and only a disagreement beyond
    /// <see cref="Approximate"/> makes them rounding noise (a small gradient that float64 confirms is judged).
    /// </summary>
    public double GradientFloor { get; init; }

    /// <summary>Factor by which the float64 re-run must shrink the error to call the problem precision.</summary>
    public double PrecisionCollapseFactor { get; init; } = 100;

    /// <summary>A model whose error is within this multiple of the interpolation baseline is judged equivariant up to the transform's own error.</summary>
    public double BaselineFactor { get; init; } = 2;

    /// <summary>The float32 default: perfect below 1e-6, excellent below 1e-4, acceptable below 1e-2.</summary>
    public static Thresholds Float32 { get; } = new(1e-6, 1e-4, 1e-2, 1e-9);

    /// <summary>
    /// Float64: the perfect and excellent bands are scaled by the ratio of machine epsilons (2.2e-16 / 1.2e-7),
    /// rounded; the approximate band is a property of the model, not of the dtype, and stays 1e-2.
    /// </summary>
    public static Thresholds Float64 { get; } = new(1e-14, 1e-11, 1e-2, 1e-18);

    /// <summary>The default thresholds for a model running in <paramref name="dtype"/>.</summary>
    public static Thresholds For(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => Float32,
        ScalarType.Float64 => Float64,
        _ => throw new ArgumentException($"Audits run models in float32 or float64, not {dtype}.", nameof(dtype)),
    };

    /// <summary>Grades a relative error; NaN or infinity is Broken.</summary>
    public ErrorGrade Grade(double relativeError)
    {
        if (!double.IsFinite(relativeError)) return ErrorGrade.Broken;
        if (relativeError < Perfect) return ErrorGrade.Perfect;
        if (relativeError < Excellent) return ErrorGrade.Excellent;
        if (relativeError < Approximate) return ErrorGrade.Approximate;
        return ErrorGrade.Broken;
    }

    /// <summary>The verdict a grade alone would give.</summary>
    public static Verdict VerdictOf(ErrorGrade grade) => grade switch
    {
        ErrorGrade.Perfect or ErrorGrade.Excellent => Verdict.Pass,
        ErrorGrade.Approximate => Verdict.NeedsAttention,
        _ => Verdict.Fail,
    };
}
