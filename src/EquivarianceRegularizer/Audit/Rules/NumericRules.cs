using static EquivarianceRegularizer.Audit.Rules.EvidenceText;
using static EquivarianceRegularizer.Models.LayerTaxonomy;

namespace EquivarianceRegularizer.Audit.Rules;

// The rules about the numbers rather than the architecture: non-finite values, and errors that the float64 re-run
// shows to be rounding.

/// <summary>NaN or infinite values in the output or a layer, located at the first leaf layer that produces them.</summary>
internal sealed class NonFiniteRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.NonFinite;

    public IEnumerable<Finding> Diagnose(AuditEvidence c)
    {
        if (c.EndToEnd is not { NonFinite: true } && !c.Layers.Any(l => l.NonFinite)) yield break;
        var first = c.Layers.FirstOrDefault(l => l.NonFinite && !l.IsContainer);
        yield return new(EvidenceOrder.NonFinite, new(Kind, first?.Name ?? "model output", Severity.High,
            first is null ? "the model output contains NaN or infinity" : $"{first.Name} ({ShortType(first.TypeName)}) is the first layer whose output contains NaN or infinity",
            "Find the operation producing NaN/inf (log or sqrt of non-positive values, division by a zero norm, overflow) and guard it (add an epsilon, clamp, or compute in log space); equivariance cannot be judged on non-finite values."));
    }

    public Diagnosis? ExplainLayer(LayerResult layer, Severity severity, AuditEvidence evidence) => null;
}

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
