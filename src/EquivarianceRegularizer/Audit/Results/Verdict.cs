
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
