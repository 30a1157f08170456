using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;
using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

// The rules that explain a failing layer by its type (from the layer taxonomy): a nonlinearity, a normalization, a
// layer that changes the sampling grid.

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

/// <summary>Pooling, stride or odd/even sizes whose sampling grid the group does not map to itself.</summary>
internal sealed class DownsamplingRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.Downsampling;

    public IEnumerable<Finding> Diagnose(AuditEvidence evidence) => Array.Empty<Finding>();

    public Diagnosis? ExplainLayer(LayerResult l, Severity severity, AuditEvidence c)
    {
        if (!LayerTaxonomy.IsPool(l.TypeName) && !LayerTaxonomy.Shrinks(l.InputShape, l.OutputShape)) return null;
        bool shifts = c.Spec.Input is CyclicShift or TranslationX or TranslationY or Translation2D;
        // A grid the group maps to itself (a ViT's patch embedding under rot90) is no downsampling fault: another rule
        // (its weights, say) explains the layer.
        if (!shifts && l.SamplingGridMapped == true) return null;
        string sizes = $"spatial size {string.Join("×", l.InputShape.TakeLast(2))} → {string.Join("×", l.OutputShape.TakeLast(2))}";
        // Under shifts the question is aliasing: shifts by multiples of the stride map exactly through the change of
        // resolution (the layer test applies the mapped shift to its output); the others have no counterpart there.
        if (shifts)
            return new(Kind, l.Name, severity,
                OfLayer(l) + $"; {sizes}: a shift that is not a multiple of the stride has no counterpart at the lower resolution, so this layer aliases",
                "Use anti-aliased (blur) pooling or a low-pass filter before subsampling, or restrict the symmetry to shifts by multiples of the total stride; global pooling without striding is exactly shift invariant.");
        return new(Kind, l.Name, severity,
            OfLayer(l) + $"; {sizes}: the sampling grid of the stride/pooling is not mapped to itself by the group",
            "Make (size + 2·padding − kernel) divisible by the stride with odd sizes (e.g. 29×29 instead of 28×28 for stride 2), or use global pooling, or anti-aliased (blur) pooling with symmetric windows.");
    }
}
