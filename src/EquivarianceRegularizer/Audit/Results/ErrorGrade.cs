
namespace EquivarianceRegularizer.Audit;

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
