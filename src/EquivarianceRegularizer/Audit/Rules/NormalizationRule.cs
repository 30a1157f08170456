using EquivarianceRegularizer.Models;
using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>A normalization layer whose statistics are taken over axes the group mixes.</summary>
internal sealed class NormalizationRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.Normalization;

    public IEnumerable<Finding> Diagnose(AuditEvidence evidence) => Array.Empty<Finding>();

    public Diagnosis? ExplainLayer(LayerResult l, Severity severity, AuditEvidence c) =>
        LayerTaxonomy.IsNorm(l.TypeName)
            ? new(Kind, l.Name, severity, OfLayer(l) + ": its statistics are taken over axes the group mixes",
                "Normalize over all axes the group permutes together (e.g. LayerNorm/GroupNorm over [C,H,W] instead of [W]), or use an equivariant normalization (statistics pooled over the group orbit, norms of vector features).")
            : null;
}
