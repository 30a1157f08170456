
namespace EquivarianceRegularizer.Audit;

/// <summary>Kinds of diagnosis (the JSON "kind" is the snake_case form).</summary>
public enum DiagnosisKind
{
    /// <summary>Layers behave differently in train mode (BatchNorm batch statistics, Dropout).</summary>
    TrainMode,
    /// <summary>A nonlinearity that does not commute with the group action on its features.</summary>
    Nonlinearity,
    /// <summary>A normalization over axes the group mixes.</summary>
    Normalization,
    /// <summary>The declared output action does not match what the model outputs.</summary>
    OutputTransform,
    /// <summary>Error from floating-point rounding only.</summary>
    Precision,
    /// <summary>A bug isolated to one (custom) module.</summary>
    CustomLayer,
    /// <summary>Error concentrated at the borders (padding).</summary>
    Boundary,
    /// <summary>Stride, pooling or odd/even sizes that break the symmetry of the sampling grid.</summary>
    Downsampling,
    /// <summary>NaN or infinite values.</summary>
    NonFinite,
}

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

/// <summary>A diagnosis drawn from the measurements: where, how bad, what shows it, and a concrete fix.</summary>
/// <param name="Kind">The failure mode.</param>
/// <param name="Location">Layer name or component.</param>
/// <param name="Severity">Severity.</param>
/// <param name="Evidence">The measurement that supports it.</param>
/// <param name="Fix">A concrete fix.</param>
public sealed record Diagnosis(DiagnosisKind Kind, string Location, Severity Severity, string Evidence, string Fix)
{
    // Layer names reach these texts; every report shows them with control and bidirectional characters escaped.

    /// <summary>Layer name or component.</summary>
    public string Location { get; init; } = EquivarianceRegularizer.Reports.ReportFormat.Printable(Location);

    /// <summary>The measurement that supports it.</summary>
    public string Evidence { get; init; } = EquivarianceRegularizer.Reports.ReportFormat.Printable(Evidence);

    /// <summary>A concrete fix.</summary>
    public string Fix { get; init; } = EquivarianceRegularizer.Reports.ReportFormat.Printable(Fix);
}
