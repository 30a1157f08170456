using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>Error concentrated along the borders (padding), in a failing layer's map or, when no layer shows it, in the output's.</summary>
internal sealed class BoundaryRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.Boundary;

    public IEnumerable<Finding> Diagnose(AuditEvidence c)
    {
        // Layers come first in the rule order, so a failing layer with a border-concentrated map carries this diagnosis already.
        bool layerShowsIt = c.FailingLayers.Any(l => l.ErrorMap is { } m && IsBorderConcentrated(m, out _));
        if (c.EndToEndFails && !layerShowsIt && c.EndToEnd?.ErrorMap is { } map && IsBorderConcentrated(map, out double ratio))
            yield return new(EvidenceOrder.OutputMap, new(Kind, "model output", Severity.Medium,
                $"output error is {ratio:0.#}× higher along a border than inside",
                "Use circular padding (padding_mode='circular') for cyclic shifts, or symmetric padding that the group maps to itself; or evaluate on a central crop."));
    }

    public Diagnosis? ExplainLayer(LayerResult l, Severity severity, AuditEvidence c) =>
        l.ErrorMap is { } map && IsBorderConcentrated(map, out double ratio)
            ? new(Kind, l.Name, severity, OfLayer(l) + $"; its error is {ratio:0.#}× higher along a border than inside",
                "Use circular padding (padding_mode='circular') for cyclic shifts, or padding the group maps to itself (symmetric, same on every side, odd kernels); avoid one-sided F.pad.")
            : null;
}
