using static EquivarianceRegularizer.Audit.Rules.EvidenceText;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>
/// Derives the verdict from the evidence (judged against its thresholds) and the diagnoses, and records each reason:
/// the end-to-end band, the float64 re-run, the identity check, vacuous outputs, the gradient test, a failing layer
/// the output hides, a mismatched output action and train-mode randomness.
/// </summary>
internal static class VerdictRules
{
    private static Verdict Worse(Verdict a, Verdict b) => (Verdict)Math.Max((int)a, (int)b);

    public static Verdict Decide(AuditEvidence c, IReadOnlyList<Diagnosis> diagnoses, List<string> reasons)
    {
        var th = c.Th;
        var v = Verdict.Pass;
        if (c.EndToEnd is not { } e)
        {
            reasons.Add("the end-to-end test could not run: " + (c.OutputActionError ?? "unknown"));
            return Verdict.Fail;
        }
        if (e.NonFinite)
        {
            reasons.Add("non-finite outputs");
            return Verdict.Fail;
        }
        var grade = c.EffectiveGrade!.Value;
        string band = grade switch
        {
            ErrorGrade.Perfect => $"perfect band (< {E(th.Perfect)})",
            ErrorGrade.Excellent => $"excellent band (< {E(th.Excellent)})",
            ErrorGrade.Approximate => $"approximate band (< {E(th.Approximate)})",
            _ => $"broken band (≥ {E(th.Approximate)})",
        };
        if (c.WithinBaseline && e.Grade > ErrorGrade.Excellent)
            reasons.Add($"end-to-end max relative error {E(e.Relative.Max)} is within {th.BaselineFactor}× the interpolation baseline {E(c.Baseline!.MaxRelative)} (the transform's own round-trip error), so it is judged excellent");
        else
            reasons.Add($"end-to-end max relative error {E(e.Relative.Max)} is in the {band} for {c.DType}" +
                (c.Baseline is { } bl ? $" (interpolation baseline {E(bl.MaxRelative)})" : ""));
        if (c.Precision is { Collapsed: true } p)
        {
            reasons.Add($"float64 re-run collapses it to {E(p.Float64MaxRelative)}: precision, not a symmetry bug");
            v = Worse(v, Verdict.NeedsAttention);
        }
        else
        {
            v = Worse(v, Thresholds.VerdictOf(grade));
            if (c.Precision is { } p2) reasons.Add($"float64 re-run keeps it at {E(p2.Float64MaxRelative)}: not a precision problem");
        }
        if (!(e.IdentityRelativeError < th.Excellent))
        {
            reasons.Add($"identity check fails ({E(e.IdentityRelativeError)})");
            v = Verdict.Fail;
        }
        if (e.MeanOutputNorm == 0)
        {
            reasons.Add("the outputs are all zero, so the test is vacuous");
            v = Worse(v, Verdict.NeedsAttention);
        }
        if (c.Gradient is { } g)
        {
            if (!g.Judged && !g.Applicable)
            {
                reasons.Add("gradient test not applicable: " + g.NotJudgedReason);
            }
            else if (!g.Judged)
            {
                reasons.Add("gradient test not judged: " + g.NotJudgedReason);
                v = Worse(v, Verdict.NeedsAttention);
            }
            else if (g.Grade is { } gg && gg >= ErrorGrade.Approximate && !(c.Precision is { Collapsed: true }))
            {
                reasons.Add($"gradient max relative error {E(g.Relative!.Max)}");
                v = Worse(v, Thresholds.VerdictOf(gg));
            }
        }
        if (v == Verdict.Pass && c.SymmetricByDesign)
        {
            // A layer called several times appears as name#k; name it once.
            var parts = c.LayersBreakingAlone.Select(l => l.Name.Split('#')[0]).Distinct().ToList();
            reasons.Add($"the model is {(c.Spec.IsInvariant ? "invariant" : "equivariant")} as a whole while {string.Join(", ", parts.Take(3))}{(parts.Count > 3 ? $" and {parts.Count - 3} more" : "")} {(parts.Count == 1 ? "is" : "are")} not on {(parts.Count == 1 ? "its" : "their")} own: its layers are not individually equivariant by design (a model symmetrized as a whole, by averaging over the group or canonicalizing its input); the layer results describe the parts, not a fault");
        }
        else if (v == Verdict.Pass && c.FirstFailing is { } ff)
        {
            reasons.Add($"layer {ff} breaks equivariance on its own although the output does not show it");
            v = Verdict.NeedsAttention;
        }
        if (diagnoses.Any(d => d.Kind == DiagnosisKind.OutputTransform && d.Severity == Severity.High) && v != Verdict.Fail)
        {
            reasons.Add("the declared output action does not match the model's output");
            v = Verdict.Fail;
        }
        if (c.Training && diagnoses.Any(d => d.Kind == DiagnosisKind.TrainMode && d.Severity == Severity.High))
        {
            reasons.Add("train-mode layers make the output depend on randomness or batch composition");
            v = Worse(v, Verdict.NeedsAttention);
        }
        return v;
    }
}
