
namespace EquivarianceRegularizer.Audit.Rules;

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
