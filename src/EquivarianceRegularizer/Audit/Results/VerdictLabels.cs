
namespace EquivarianceRegularizer.Audit;

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
