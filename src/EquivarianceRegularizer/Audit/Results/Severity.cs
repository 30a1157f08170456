
namespace EquivarianceRegularizer.Audit;

/// <summary>How serious a diagnosis is.</summary>
public enum Severity
{
    /// <summary>Informational.</summary>
    Low,
    /// <summary>Should be looked at.</summary>
    Medium,
    /// <summary>Breaks equivariance.</summary>
    High,
}
