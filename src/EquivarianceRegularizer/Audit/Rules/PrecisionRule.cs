using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>The float64 re-run collapses the error: rounding, located at the leaf layer with the largest own error.</summary>
internal sealed class PrecisionRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.Precision;

    public IEnumerable<Finding> Diagnose(AuditEvidence c)
    {
        if (c.Precision is not { Collapsed: true } p) yield break;
        var worst = c.Layers.Where(l => l.Grade is not null && !l.IsContainer).OrderByDescending(l => l.OwnMaxRelative).FirstOrDefault();
        yield return new(EvidenceOrder.Precision, new(Kind, worst?.Name ?? "whole model", Severity.Medium,
            $"max relative error {E(p.ModelDTypeMaxRelative)} in {c.DType} falls to {E(p.Float64MaxRelative)} with the model in float64: rounding, not a symmetry bug",
            "Accept the error as rounding, or reduce cancellation (normalize inputs, subtract means before squaring, avoid huge offsets), or run the sensitive part in float64."));
    }

    public Diagnosis? ExplainLayer(LayerResult layer, Severity severity, AuditEvidence evidence) => null;
}
