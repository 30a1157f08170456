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

/// <summary>A diagnosis and the place of its evidence in the report's order.</summary>
/// <param name="Order">Which evidence it comes from.</param>
/// <param name="Diagnosis">The diagnosis.</param>
internal sealed record Finding(EvidenceOrder Order, Diagnosis Diagnosis);

/// <summary>
/// Where a piece of evidence comes in the report: diagnoses are listed by severity and, within one severity, in
/// this order (then by layer for <see cref="Layers"/>), so that the report reads the same whichever rule found them.
/// </summary>
internal enum EvidenceOrder
{
    /// <summary>The output action cannot be applied.</summary>
    OutputAction,
    /// <summary>NaN or infinite values.</summary>
    NonFinite,
    /// <summary>Train-mode probes and the handed-over mode.</summary>
    TrainModeProbes,
    /// <summary>The identity check.</summary>
    IdentityCheck,
    /// <summary>The other output kind fits.</summary>
    AlternativeOutput,
    /// <summary>The float64 re-run.</summary>
    Precision,
    /// <summary>Failing layers, in execution order.</summary>
    Layers,
    /// <summary>The model's own forward code between layers.</summary>
    ModelForward,
    /// <summary>The output's spatial error map.</summary>
    OutputMap,
}
