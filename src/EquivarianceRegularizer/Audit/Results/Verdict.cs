
namespace EquivarianceRegularizer.Audit;

/// <summary>The overall outcome of an audit.</summary>
public enum Verdict
{
    /// <summary>Every judged test is within the excellent band.</summary>
    Pass,
    /// <summary>Approximate equivariance, a precision-only problem, an inconclusive test or a caveat worth reading.</summary>
    NeedsAttention,
    /// <summary>Broken equivariance or non-finite outputs.</summary>
    Fail,
}

/// <summary>How close to exact a measured relative error is (four bands, limits in <see cref="Thresholds"/>).</summary>
public enum ErrorGrade
{
    /// <summary>At the dtype's rounding level: exact equivariance.</summary>
    Perfect,
    /// <summary>Small enough to accept without comment.</summary>
    Excellent,
    /// <summary>Approximate equivariance: investigate.</summary>
    Approximate,
    /// <summary>Broken equivariance: fix required.</summary>
    Broken,
}

/// <summary>The upper-case labels every report and the command line print for a verdict.</summary>
internal static class VerdictLabels
{
    /// <summary>"PASS", "NEEDS_ATTENTION" or "FAIL".</summary>
    public static string Label(this Verdict verdict) => verdict switch
    {
        Verdict.Pass => "PASS",
        Verdict.NeedsAttention => "NEEDS_ATTENTION",
        _ => "FAIL",
    };
}
