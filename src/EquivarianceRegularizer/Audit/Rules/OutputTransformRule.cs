using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>The declared output action does not fit the model's output: it cannot be applied, fails at the identity, or the other output kind fits.</summary>
internal sealed class OutputTransformRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.OutputTransform;

    public IEnumerable<Finding> Diagnose(AuditEvidence c)
    {
        if (c.OutputActionError is { } oe)
            yield return new(EvidenceOrder.OutputAction, new(Kind, "output transform", Severity.High, oe,
                "Declare the output action that matches the model's output: 'invariant' for logits or pooled features, the input transform for same-shaped feature maps, or a transform built for the output's shape."));

        // Identity check failing while the output action applies: the output transform is wrong or the model is non-deterministic.
        if (c.OutputActionError is null && c.EndToEnd is { } e0 && !(e0.IdentityRelativeError < c.Th.Excellent) && c.Probes.Nondeterministic is null)
            yield return new(EvidenceOrder.IdentityCheck, new(Kind, "output transform", Severity.High,
                $"the identity check fails ({e0.IdentityCheck}: relative error {E(e0.IdentityRelativeError)}), so the output action is not the identity at the identity element, or the model is not deterministic",
                "Check that the output action at the identity element returns its input unchanged and matches the output's layout (axes, channels-first)."));

        // Invariant declared but the output is equivariant (or vice versa).
        if (c.EndToEndFails && c.AlternativeOutputFits && c.Probes.AlternativeOutput is { } alt)
            yield return new(EvidenceOrder.AlternativeOutput, new(Kind, "output transform", Severity.High,
                $"declared {(c.Spec.IsInvariant ? "invariant" : "equivariant")} fails (max relative error {E(c.EndToEnd!.Relative.Max)}), but the output is {alt.Kind} (relative error {E(alt.Rel)})",
                alt.Kind == "invariant" ? "Declare the output invariant (--output invariant)." : $"Declare the output equivariant (--output equivariant or --output {c.Spec.Input.Name})."));
    }

    public Diagnosis? ExplainLayer(LayerResult layer, Severity severity, AuditEvidence evidence) => null;
}
