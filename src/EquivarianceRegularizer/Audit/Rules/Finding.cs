
namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>A diagnosis and the place of its evidence in the report's order.</summary>
/// <param name="Order">Which evidence it comes from.</param>
/// <param name="Diagnosis">The diagnosis.</param>
internal sealed record Finding(EvidenceOrder Order, Diagnosis Diagnosis);
