using static EquivarianceRegularizer.Models.LayerTaxonomy;

namespace EquivarianceRegularizer.Audit.Rules;

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
