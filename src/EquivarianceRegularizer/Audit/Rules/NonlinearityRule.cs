using EquivarianceRegularizer.Models;
using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>A pointwise nonlinearity applied to features the group does not merely permute.</summary>
internal sealed class NonlinearityRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.Nonlinearity;

    public IEnumerable<Finding> Diagnose(AuditEvidence evidence) => Array.Empty<Finding>();

    public Diagnosis? ExplainLayer(LayerResult l, Severity severity, AuditEvidence c) =>
        LayerTaxonomy.IsActivation(l.TypeName)
            ? new(Kind, l.Name, severity, OfLayer(l) + ": the error jumps at this activation",
                "Apply pointwise nonlinearities only to features the group permutes or leaves alone; for vector/rotating features use a gated or norm nonlinearity (scale v by σ(‖v‖)).")
            : null;
}
