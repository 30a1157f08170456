using System.Globalization;
using System.Text;

namespace EquivarianceRegularizer.Audit.Reports;

/// <summary>The plain-text report (what <c>eqv audit</c> prints), and the names used by every renderer.</summary>
internal static class ReportText
{
    /// <summary>"PASS", "NEEDS_ATTENTION" or "FAIL".</summary>
    public static string Verdict(Verdict v) => v.Label();

    /// <summary>The snake_case kind (train_mode, nonlinearity, …): the <see cref="DiagnosisKind"/> value's name, so a new kind needs no edit here.</summary>
    public static string Kind(DiagnosisKind k) => EquivarianceRegularizer.Reports.ReportJson.Snake(k);

    /// <summary>"PASS"/"NEEDS_ATTENTION"/"FAIL" of a grade.</summary>
    public static string Result(ErrorGrade g) => Verdict(Thresholds.VerdictOf(g));

    /// <summary>A number in short scientific form ("n/a" for NaN).</summary>
    public static string N(double v) => EquivarianceRegularizer.Reports.ReportFormat.N(v);

    /// <summary>
    /// <paramref name="s"/> (a file or layer name) with control, line-breaking and bidirectional formatting characters
    /// shown as escapes (<c>\n</c>, <c>\u001B</c>, <c>\u202E</c>), so that a name cannot add lines to a report, send
    /// escape sequences to a terminal or reorder what a reader sees.
    /// </summary>
    public static string Printable(string s) => EquivarianceRegularizer.Reports.ReportFormat.Printable(s);

    /// <summary>Renders the report as plain text.</summary>
    public static string Render(AuditReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        void L(string s = "") => sb.Append(s).Append('\n');
        L("MODEL EQUIVARIANCE AUDIT REPORT");
        L("===============================");
        L($"Model: {r.Model}");
        L($"Intended Symmetry: {r.Transform} ({r.Group})");
        L($"Symmetry Type: {r.SymmetryType}");
        L($"Evaluation: {r.EvaluationMode} mode, {r.DType}, seed {r.Seed}");
        L();
        L("END-TO-END TESTS:");
        L("-----------------");
        if (r.EndToEnd is { } e)
        {
            string what = r.SymmetryType.StartsWith("Invariant", StringComparison.Ordinal) ? "Invariance" : "Equivariance";
            L($"Test samples: {e.Samples}");
            L($"Transformations tested: {e.Elements} ({e.ElementSource})");
            L($"Identity check: relative error {N(e.IdentityRelativeError)} ({e.IdentityCheck})");
            L($"{what} Error:");
            L($"- Mean absolute: {N(e.Absolute.Mean)}");
            L($"- Max absolute: {N(e.Absolute.Max)}");
            L($"- Mean relative: {N(e.Relative.Mean)}");
            L($"- Max relative: {N(e.Relative.Max)}");
            L($"- Min / std relative: {N(e.Relative.Min)} / {N(e.Relative.Std)}");
            L($"- Worst: sample {e.Worst.Sample} under {e.Worst.Element} (relative {N(e.Worst.Relative)})");
            if (e.NonFinite) L("- Non-finite outputs: yes");
            if (r.Baseline is { } b) L($"- Interpolation baseline (there and back, {b.Mask}): mean {N(b.MeanRelative)}, max {N(b.MaxRelative)}");
            if (r.Precision is { } p) L($"- Float64 re-run: max relative {N(p.Float64MaxRelative)} ({(p.Collapsed ? "collapses: precision" : "does not collapse")})");
            if (r.RandomInit is { } ri) L($"- Random-init baseline: max relative {N(ri.MaxRelative)} (trained/fresh ratio {N(ri.Ratio)})");
            L($"- RESULT: {Result(e.Grade)}");
        }
        else L("- RESULT: NOT RUN (see issues)");
        L();
        L("LAYER-WISE ANALYSIS:");
        L("--------------------");
        if (r.Layers.Count == 0) L("(not run)");
        foreach (var l in r.Layers)
        {
            L($"- Layer: {l.Name} ({l.TypeName}{(l.IsContainer ? ", container" : "")})");
            if (!l.Tested)
            {
                L($"  - Result: NOT TESTED ({l.NotTestableReason})");
                continue;
            }
            L(l.JudgedBy is { } worst
                ? $"  - Judged by the modules inside it: worst {worst} ({N(l.OwnMaxRelative)} own), {N(l.CumulativeMaxRelative)} cumulative; ‖h‖ {N(l.ActivationNorm)}, ‖∂ℓ/∂h‖ {N(l.GradientNorm)}"
                : $"  - Error: {N(l.OwnMaxRelative)} own ({l.Method}), {N(l.CumulativeMaxRelative)} cumulative; ‖h‖ {N(l.ActivationNorm)}, ‖∂ℓ/∂h‖ {N(l.GradientNorm)}");
            L($"  - Action: {l.InputAction} → {l.OutputAction}");
            if (l.BreaksInOwnCode) L("  - Its own forward code breaks the symmetry: every tested module inside it passes.");
            L($"  - Result: {l.VerdictText}");
        }
        if (r.Layers.Count > 0) L($"First failing layer: {r.FirstFailingLayer ?? "none"}");
        var ranked = LayerViews.Ranked(r.Layers);
        if (ranked.Count > 0)
        {
            L();
            L($"LARGEST OWN ERRORS ({ranked.Count} of {r.Layers.Count(l => l.Tested)} tested layers, largest first):");
            int width = ranked.Max(l => l.Name.Length);
            for (int k = 0; k < ranked.Count; k++)
                L($"{k + 1,3}. {ranked[k].Name.PadRight(width)}  {N(ranked[k].OwnMaxRelative),-10} {ranked[k].VerdictText} ({ranked[k].TypeName})");
        }
        L();
        L("GRADIENT TEST:");
        L("--------------");
        if (r.Gradient is not { } g) L("(not run)");
        else if (!g.Judged) L($"- RESULT: NOT JUDGED ({g.NotJudgedReason})");
        else
        {
            L($"- Gradient equivariance error: max {N(g.Relative!.Max)}, mean {N(g.Relative.Mean)} (median ‖∇‖ {N(g.MedianGradientNorm)}, floor {N(g.Floor)})");
            L($"- RESULT: {Result(g.Grade!.Value)}");
        }
        L();
        L("IDENTIFIED ISSUES:");
        L("------------------");
        if (r.Diagnoses.Count == 0) L("None.");
        int i = 1;
        foreach (var d in r.Diagnoses)
        {
            L($"{i++}. [{Kind(d.Kind)}] {d.Evidence}");
            L($"   - Location: {d.Location}");
            L($"   - Severity: {d.Severity}");
            L($"   - Recommended fix: {d.Fix}");
        }
        L();
        L($"OVERALL VERDICT: {Verdict(r.Verdict)}");
        L("Reasons:");
        foreach (var s in r.Reasons) L($"- {s}");
        L("Recommendations:");
        foreach (var s in r.Recommendations) L($"- {s}");
        L("Notes:");
        foreach (var s in r.Notes) L($"- {s}");
        L($"- Audit took {r.Seconds:0.00} s" + (r.Timings.Count > 0 ? " (" + string.Join(", ", r.Timings.Select(t => $"{t.Phase.Replace('_', '-')} {t.Seconds:0.00} s")) + ")." : "."));
        return EquivarianceRegularizer.Reports.ReportFormat.Printable(sb.ToString(), keepNewlines: true);
    }
}
