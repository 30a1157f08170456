using static EquivarianceRegularizer.Audit.Rules.EvidenceText;
using static EquivarianceRegularizer.Models.LayerTaxonomy;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>Layers that behave differently in train mode: random masks, batch statistics, or a model handed over in train mode.</summary>
internal sealed class TrainModeRule : IDiagnosisRule
{
    public DiagnosisKind Kind => DiagnosisKind.TrainMode;

    public IEnumerable<Finding> Diagnose(AuditEvidence c)
    {
        if (c.Probes.Nondeterministic is { } nd)
            yield return new(EvidenceOrder.TrainModeProbes, new(Kind, nd.Name, Severity.High,
                $"{nd.Name} ({ShortType(nd.Type)}) gives different outputs for the same input in train mode (relative difference {E(nd.Rel)})",
                "Call model.eval() before auditing or regularizing with a fixed model; random dropout masks are not transformed with the input. If train-mode equivariance matters, share one dropout mask across the group orbit."));
        if (c.Probes.BatchDependent is { } bd)
            yield return new(EvidenceOrder.TrainModeProbes, new(Kind, bd.Name, Severity.High,
                $"{bd.Name} ({ShortType(bd.Type)}) output for a sample changes with the rest of the batch in train mode (relative difference {E(bd.Rel)}): batch-composition dependence",
                "Evaluate in eval mode (running statistics), or replace BatchNorm by GroupNorm/LayerNorm over [C,H,W], or by an equivariant batch norm whose statistics are pooled over the group orbit."));
        if (c.Mode == EvaluationMode.Eval && c.WasTraining)
        {
            var sensitive = c.Layers.Where(l => IsTrainModeSensitive(l.TypeName)).Select(l => l.Name).ToList();
            if (sensitive.Count > 0)
                yield return new(EvidenceOrder.TrainModeProbes, new(Kind, string.Join(", ", sensitive), Severity.Low,
                    $"the model was handed over in train mode and contains {string.Join(", ", sensitive)}; the audit ran in eval mode",
                    "Call model.eval() before inference and export; audit with train mode (--train-mode / EvaluationMode.Train) if training-time equivariance matters."));
        }
    }

    public Diagnosis? ExplainLayer(LayerResult l, Severity severity, AuditEvidence c) =>
        IsTrainModeSensitive(ShortType(l.TypeName)) && c.Training
            ? new(Kind, l.Name, severity, OfLayer(l) + " in train mode",
                "Evaluate in eval mode, or replace it by a layer whose statistics do not depend on the batch (GroupNorm/LayerNorm over [C,H,W]).")
            : null;
}
