
namespace EquivarianceRegularizer.Audit;

/// <summary>How close to exact a measured relative error is (the seed's four bands).</summary>
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
