
namespace EquivarianceRegularizer.Audit;

/// <summary>A diagnosis drawn from the measurements: where, how bad, what shows it, and a concrete fix.</summary>
/// <param name="Kind">The failure mode.</param>
/// <param name="Location">Layer name or component.</param>
/// <param name="Severity">Severity.</param>
/// <param name="Evidence">The measurement that supports it.</param>
/// <param name="Fix">A concrete fix.</param>
public sealed record Diagnosis(DiagnosisKind Kind, string Location, Severity Severity, string Evidence, string Fix);
