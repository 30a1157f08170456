using EquivarianceRegularizer.Models;
using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>
/// An error isolated to one module no other kind explains (unconstrained weights, flatten before the head, a custom
/// module), or to the model's own forward code between layers when every tested layer is equivariant on its own.
/// Last in the rule order: it explains every failing layer the others leave.
/// </summary>
internal sealed class CustomLayerRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.CustomLayer;

    public IEnumerable<Finding> Diagnose(AuditEvidence c)
    {
        if (c.PrecisionOnly || c.FailingLayers.Count > 0 || !c.EndToEndFails || c.EndToEnd is not { NonFinite: false }
            || c.OutputActionError is not null || c.AlternativeOutputFits || !c.Layers.Any(l => l.Tested))
            yield break;
        var last = c.Layers.LastOrDefault(l => l.Tested && !l.IsContainer);
        yield return new(EvidenceOrder.ModelForward, new(Kind, last is null ? "model forward" : $"model forward (after {last.Name})", Severity.High,
            $"the output is not {(c.Spec.IsInvariant ? "invariant" : "equivariant")} (max relative error {E(c.EndToEnd.Relative.Max)}) but every tested layer is, on its own: the error comes from code in the model's own forward between layers",
            "Review the operations the model's forward applies outside submodules (reshapes, indexing, functional calls) against the symmetry; move them into modules so they can be isolated."));
    }

    public Diagnosis? ExplainLayer(LayerResult l, Severity severity, AuditEvidence c)
    {
        string ev = OfLayer(l);
        if (LayerTaxonomy.IsStandardLinear(l.TypeName))
            return new(Kind, l.Name, severity, ev + ": its weights are not constrained by the symmetry",
                "Constrain the weights (group convolution, kernels averaged over the group, or an equivariant library layer), or regularize them with the equivariance penalty.");
        if (LayerTaxonomy.ShortType(l.TypeName).Equals("Flatten", StringComparison.OrdinalIgnoreCase))
            return new(Kind, l.Name, severity, ev + ": flattening keeps the spatial layout, so later layers see transformed features",
                "Replace flatten + linear by global (average or max) pooling over space before the classifier.");
        return new(Kind, l.Name, severity, ev + ": the error is isolated to this module",
            "Review this module's forward against the equivariance constraint (test it alone with EquivarianceAssert.IsEquivariant); check axis conventions and any indexing.");
    }
}
