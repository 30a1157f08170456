using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>Pooling, stride or odd/even sizes whose sampling grid the group does not map to itself.</summary>
internal sealed class DownsamplingRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.Downsampling;

    public IEnumerable<Finding> Diagnose(AuditEvidence evidence) => Array.Empty<Finding>();

    public Diagnosis? ExplainLayer(LayerResult l, Severity severity, AuditEvidence c) =>
        LayerTypes.IsPool(l.TypeName) || LayerTypes.Shrinks(l)
            ? new(Kind, l.Name, severity,
                OfLayer(l) + $"; spatial size {string.Join("×", l.InputShape.TakeLast(2))} → {string.Join("×", l.OutputShape.TakeLast(2))}: the sampling grid of the stride/pooling is not mapped to itself by the group",
                "Make (size + 2·padding − kernel) divisible by the stride with odd sizes (e.g. 29×29 instead of 28×28 for stride 2), or use global pooling, or anti-aliased (blur) pooling with symmetric windows.")
            : null;
}
