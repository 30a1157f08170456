
namespace EquivarianceRegularizer.Audit;

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
