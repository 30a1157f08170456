
namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>
/// The rule of one <see cref="DiagnosisKind"/>: the diagnoses of that kind drawn from the evidence, each with its
/// location, severity, the measurement that shows it and a concrete fix. Adding a diagnosis is one enum value and
/// one implementation of this interface, listed in <see cref="Diagnostician.Rules"/>.
/// </summary>
internal interface IDiagnosisRule
{
    /// <summary>The kind this rule diagnoses.</summary>
    DiagnosisKind Kind { get; }

    /// <summary>Diagnoses drawn from the whole-model evidence.</summary>
    IEnumerable<Finding> Diagnose(AuditEvidence evidence);

    /// <summary>
    /// This kind's diagnosis of a failing layer, or null when the layer's evidence is not of this kind. A failing
    /// layer gets the diagnosis of the first rule in <see cref="Diagnostician.Rules"/> that explains it.
    /// </summary>
    Diagnosis? ExplainLayer(LayerResult layer, Severity severity, AuditEvidence evidence);
}
