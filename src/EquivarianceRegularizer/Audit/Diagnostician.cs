using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit;

/// <summary>Extra measurements that only diagnosis needs (train-mode behaviour, which output kind fits).</summary>
internal sealed class Probes(AuditRun run)
{
    /// <summary>First layer whose output changes between two forwards of the same input (Dropout in train mode).</summary>
    public (string Name, string Type, double Rel)? Nondeterministic { get; private set; }

    /// <summary>First layer whose output for a sample depends on the rest of the batch (BatchNorm batch statistics).</summary>
    public (string Name, string Type, double Rel)? BatchDependent { get; private set; }

    /// <summary>When the declared output kind fails: the relative error of the other kind (invariant ↔ equivariant).</summary>
    public (string Kind, double Rel)? AlternativeOutput { get; private set; }

    /// <summary>Whether the train-mode probes ran.</summary>
    public bool TrainModeProbed { get; private set; }

    public void TrainModeProbes(Tensor xs)
    {
        TrainModeProbed = true;
        using var scope = NewDisposeScope();
        var th = run.Th;
        var (_, a) = run.Capture(xs);
        var (_, b) = run.Capture(xs);
        var flagged = new HashSet<string>();
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var (name, ca) = a[i];
            var cb = b[i].Capture;
            if (ca.Input is null || ca.Output is null || cb.Input is null || cb.Output is null || b[i].Name != name) continue;
            if (!ca.Output.shape.SequenceEqual(cb.Output.shape) || !ca.Input.shape.SequenceEqual(cb.Input.shape)) continue;
            double inRel = AuditKernels.Errors(cb.Input, ca.Input).Rel.Max();
            double outRel = AuditKernels.Errors(cb.Output, ca.Output).Rel.Max();
            if (inRel < th.Excellent && !(outRel < th.Excellent))
            {
                flagged.Add(name);
                Nondeterministic ??= (name, ca.TypeName, outRel);
            }
        }
        long half = xs.size(0) / 2;
        if (half < 1) return;
        var (_, c) = run.Capture(xs.narrow(0, 0, half));
        for (int i = 0; i < Math.Min(a.Count, c.Count); i++)
        {
            var (name, ca) = a[i];
            var cc = c[i].Capture;
            if (flagged.Contains(name) || c[i].Name != name || ca.Input is null || ca.Output is null || cc.Input is null || cc.Output is null) continue;
            if (ca.Output.Rank() == 0 || ca.Input.Rank() == 0) continue;
            using var inner = NewDisposeScope();
            var aIn = ca.Input.narrow(0, 0, half);
            var aOut = ca.Output.narrow(0, 0, half);
            if (!aIn.shape.SequenceEqual(cc.Input.shape) || !aOut.shape.SequenceEqual(cc.Output.shape)) continue;
            double inRel = AuditKernels.Errors(cc.Input, aIn).Rel.Max();
            double outRel = AuditKernels.Errors(cc.Output, aOut).Rel.Max();
            if (inRel < th.Excellent && !(outRel < th.Excellent))
            {
                BatchDependent = (name, ca.TypeName, outRel);
                break;
            }
        }
    }

    public void OutputKindProbe(Tensor x, Tensor y, GroupElements g)
    {
        var spec = run.Spec;
        using var scope = NewDisposeScope();
        try
        {
            var y1 = run.Forward(spec.Input.Apply(x, g));
            if (spec.IsInvariant)
            {
                if (y.Rank() != x.Rank()) return;
                var y2 = spec.Input.Apply(y, g);
                if (!y2.shape.SequenceEqual(y1.shape)) return;
                AlternativeOutput = ("equivariant", AuditKernels.Errors(y1, y2).Rel.Max());
            }
            else
            {
                AlternativeOutput = ("invariant", AuditKernels.Errors(y1, y).Rel.Max());
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            // The other kind cannot even be applied: nothing to suggest.
        }
    }
}

/// <summary>All evidence the diagnosis and the verdict are drawn from.</summary>
internal sealed record DiagnosisContext(
    SymmetrySpec Spec, Thresholds Th, ScalarType DType, bool Training, bool WasTraining, EvaluationMode Mode,
    EndToEndResult? EndToEnd, double IdentityRel, string? OutputActionError, PrecisionCheck? Precision,
    InterpolationBaseline? Baseline, IReadOnlyList<LayerResult> Layers, string? FirstFailing, GradientResult? Gradient,
    Probes Probes, int InputRank)
{
    /// <summary>True when the model's error is within the interpolation baseline of the transform.</summary>
    public bool WithinBaseline =>
        Baseline is { } b && EndToEnd is { } e && e.Relative.Max <= Th.BaselineFactor * b.MaxRelative + Th.Excellent;

    /// <summary>The end-to-end grade after accounting for the interpolation baseline.</summary>
    public ErrorGrade? EffectiveGrade =>
        EndToEnd is null ? null : WithinBaseline && EndToEnd.Grade > ErrorGrade.Excellent ? ErrorGrade.Excellent : EndToEnd.Grade;
}

/// <summary>Turns evidence into diagnoses, each with a location, a severity, the evidence and a concrete fix.</summary>
internal static class Diagnostician
{
    private static readonly HashSet<string> Activations = new(StringComparer.OrdinalIgnoreCase)
    {
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softplus",
        "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid", "Tanhshrink", "Softshrink", "Hardshrink", "Threshold", "LogSigmoid",
    };

    private static readonly HashSet<string> StandardLinear = new(StringComparer.OrdinalIgnoreCase)
    {
        "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Linear", "Bilinear", "Embedding",
    };

    /// <summary>The unqualified type name ("__torch__.x.ReLU" → "ReLU").</summary>
    public static string ShortType(string typeName)
    {
        int dot = typeName.LastIndexOf('.');
        return dot >= 0 ? typeName[(dot + 1)..] : typeName;
    }

    public static bool IsActivation(string t) => Activations.Contains(ShortType(t));

    public static bool IsNorm(string t) => ShortType(t).Contains("Norm", StringComparison.OrdinalIgnoreCase);

    public static bool IsPool(string t) => ShortType(t).Contains("Pool", StringComparison.OrdinalIgnoreCase);

    public static bool IsDropout(string t) => ShortType(t).Contains("Dropout", StringComparison.OrdinalIgnoreCase);

    public static bool IsTrainModeSensitive(string t) => IsDropout(t) || ShortType(t).StartsWith("BatchNorm", StringComparison.OrdinalIgnoreCase);

    private static string E(double v) => v.ToString("0.##e+0", System.Globalization.CultureInfo.InvariantCulture);

    public static List<Diagnosis> Diagnose(DiagnosisContext c)
    {
        var list = new List<Diagnosis>();
        var th = c.Th;
        bool e2eBad = c.EffectiveGrade is { } eg && eg >= ErrorGrade.Approximate;

        // Output action unusable, or wrong at the identity.
        if (c.OutputActionError is { } oe)
            list.Add(new(DiagnosisKind.OutputTransform, "output transform", Severity.High, oe,
                "Declare the output action that matches the model's output: 'invariant' for logits or pooled features, the input transform for same-shaped feature maps, or a transform built for the output's shape."));

        // Non-finite values.
        if (c.EndToEnd is { NonFinite: true } || c.Layers.Any(l => l.NonFinite))
        {
            var first = c.Layers.FirstOrDefault(l => l.NonFinite && !l.IsContainer);
            list.Add(new(DiagnosisKind.NonFinite, first?.Name ?? "model output", Severity.High,
                first is null ? "the model output contains NaN or infinity" : $"{first.Name} ({ShortType(first.TypeName)}) is the first layer whose output contains NaN or infinity",
                "Find the operation producing NaN/inf (log or sqrt of non-positive values, division by a zero norm, overflow) and guard it (add an epsilon, clamp, or compute in log space); equivariance cannot be judged on non-finite values."));
        }

        // Train-mode evidence.
        if (c.Probes.Nondeterministic is { } nd)
            list.Add(new(DiagnosisKind.TrainMode, nd.Name, Severity.High,
                $"{nd.Name} ({ShortType(nd.Type)}) gives different outputs for the same input in train mode (relative difference {E(nd.Rel)})",
                "Call model.eval() before auditing or regularizing with a fixed model; random dropout masks are not transformed with the input. If train-mode equivariance matters, share one dropout mask across the group orbit."));
        if (c.Probes.BatchDependent is { } bd)
            list.Add(new(DiagnosisKind.TrainMode, bd.Name, Severity.High,
                $"{bd.Name} ({ShortType(bd.Type)}) output for a sample changes with the rest of the batch in train mode (relative difference {E(bd.Rel)}): batch-composition dependence",
                "Evaluate in eval mode (running statistics), or replace BatchNorm by GroupNorm/LayerNorm over [C,H,W], or by an equivariant batch norm whose statistics are pooled over the group orbit."));
        if (c.Mode == EvaluationMode.Eval && c.WasTraining)
        {
            var sensitive = c.Layers.Where(l => IsTrainModeSensitive(l.TypeName)).Select(l => l.Name).ToList();
            if (sensitive.Count > 0)
                list.Add(new(DiagnosisKind.TrainMode, string.Join(", ", sensitive), Severity.Low,
                    $"the model was handed over in train mode and contains {string.Join(", ", sensitive)}; the audit ran in eval mode",
                    "Call model.eval() before inference and export; audit with train mode (--train-mode / EvaluationMode.Train) if training-time equivariance matters."));
        }

        // Identity check failing while the output action applies: the output transform is wrong or the model is non-deterministic.
        if (c.OutputActionError is null && c.EndToEnd is { } e0 && !(e0.IdentityRelativeError < th.Excellent) && c.Probes.Nondeterministic is null)
            list.Add(new(DiagnosisKind.OutputTransform, "output transform", Severity.High,
                $"the identity check fails ({e0.IdentityCheck}: relative error {E(e0.IdentityRelativeError)}), so the output action is not the identity at the identity element, or the model is not deterministic",
                "Check that the output action at the identity element returns its input unchanged and matches the output's layout (axes, channels-first)."));

        // Invariant declared but the output is equivariant (or vice versa).
        if (e2eBad && c.Probes.AlternativeOutput is { } alt && alt.Rel < th.Excellent)
            list.Add(new(DiagnosisKind.OutputTransform, "output transform", Severity.High,
                $"declared {(c.Spec.IsInvariant ? "invariant" : "equivariant")} fails (max relative error {E(c.EndToEnd!.Relative.Max)}), but the output is {alt.Kind} (relative error {E(alt.Rel)})",
                alt.Kind == "invariant" ? "Declare the output invariant (--output invariant)." : $"Declare the output equivariant (--output equivariant or --output {c.Spec.Input.Name})."));

        // Precision: the float64 re-run collapses the error.
        if (c.Precision is { Collapsed: true } p)
        {
            var worst = c.Layers.Where(l => l.Grade is not null && !l.IsContainer).OrderByDescending(l => l.OwnMaxRelative).FirstOrDefault();
            list.Add(new(DiagnosisKind.Precision, worst?.Name ?? "whole model", Severity.Medium,
                $"max relative error {E(p.ModelDTypeMaxRelative)} in {c.DType} falls to {E(p.Float64MaxRelative)} with the model in float64: rounding, not a symmetry bug",
                "Accept the error as rounding, or reduce cancellation (normalize inputs, subtract means before squaring, avoid huge offsets), or run the sensitive part in float64."));
        }

        // Layer evidence: every leaf whose own error is over the excellent band.
        bool precisionOnly = c.Precision is { Collapsed: true };
        if (!precisionOnly)
        {
            var failing = c.Layers.Where(l => !l.IsContainer && l.Grade is { } g && g >= ErrorGrade.Approximate && !l.NonFinite).ToList();
            bool first = true;
            foreach (var l in failing)
            {
                var d = ForLayer(l, c, first ? Severity.High : Severity.Medium);
                if (d is not null) list.Add(d);
                first = false;
            }
            bool altFits = c.Probes.AlternativeOutput is { } alt2 && alt2.Rel < th.Excellent;
            if (failing.Count == 0 && e2eBad && c.EndToEnd is { NonFinite: false } && c.OutputActionError is null && !altFits && c.Layers.Any(l => l.Tested))
            {
                var last = c.Layers.LastOrDefault(l => l.Tested && !l.IsContainer);
                list.Add(new(DiagnosisKind.CustomLayer, last is null ? "model forward" : $"model forward (after {last.Name})", Severity.High,
                    $"the output is not {(c.Spec.IsInvariant ? "invariant" : "equivariant")} (max relative error {E(c.EndToEnd!.Relative.Max)}) but every tested layer is, on its own: the error comes from code in the model's own forward between layers",
                    "Review the operations the model's forward applies outside submodules (reshapes, indexing, functional calls) against the symmetry; move them into modules so they can be isolated."));
            }
        }

        // Boundary evidence on the output map when no layer carried it.
        if (e2eBad && !list.Any(d => d.Kind == DiagnosisKind.Boundary) && c.EndToEnd?.ErrorMap is { } map && IsBorderConcentrated(map, out double ratio))
            list.Add(new(DiagnosisKind.Boundary, "model output", Severity.Medium,
                $"output error is {ratio:0.#}× higher along a border than inside",
                "Use circular padding (padding_mode='circular') for cyclic shifts, or symmetric padding that the group maps to itself; or evaluate on a central crop."));

        return list.GroupBy(d => (d.Kind, d.Location)).Select(g => g.First()).ToList();
    }

    public static bool IsBorderConcentrated(SpatialErrorMap map, out double ratio)
    {
        int band = Math.Max(1, Math.Min(map.Height, map.Width) / 8);
        ratio = map.BorderToInteriorRatio(band);
        return map.Height >= 6 && map.Width >= 6 && ratio > 3;
    }

    private static Diagnosis? ForLayer(LayerResult l, DiagnosisContext c, Severity severity)
    {
        string type = ShortType(l.TypeName);
        string ev = $"{l.Name} ({type}) has own relative error {E(l.OwnMaxRelative)} ({l.Method}; input acted on by {l.InputAction}, output by {l.OutputAction})";
        bool shrinks = l.InputShape.Length >= 2 && l.OutputShape.Length == l.InputShape.Length &&
                       (l.OutputShape[^1] < l.InputShape[^1] || l.OutputShape[^2] < l.InputShape[^2]);
        if (l.ErrorMap is { } map && IsBorderConcentrated(map, out double ratio))
            return new(DiagnosisKind.Boundary, l.Name, severity, ev + $"; its error is {ratio:0.#}× higher along a border than inside",
                "Use circular padding (padding_mode='circular') for cyclic shifts, or padding the group maps to itself (symmetric, same on every side, odd kernels); avoid one-sided F.pad.");
        if (IsTrainModeSensitive(type) && c.Training)
            return new(DiagnosisKind.TrainMode, l.Name, severity, ev + " in train mode",
                "Evaluate in eval mode, or replace it by a layer whose statistics do not depend on the batch (GroupNorm/LayerNorm over [C,H,W]).");
        if (IsNorm(type))
            return new(DiagnosisKind.Normalization, l.Name, severity, ev + ": its statistics are taken over axes the group mixes",
                "Normalize over all axes the group permutes together (e.g. LayerNorm/GroupNorm over [C,H,W] instead of [W]), or use an equivariant normalization (statistics pooled over the group orbit, norms of vector features).");
        if (IsActivation(type))
            return new(DiagnosisKind.Nonlinearity, l.Name, severity, ev + ": the error jumps at this activation",
                "Apply pointwise nonlinearities only to features the group permutes or leaves alone; for vector/rotating features use a gated or norm nonlinearity (scale v by σ(‖v‖)).");
        if (IsPool(type) || shrinks)
            return new(DiagnosisKind.Downsampling, l.Name, severity,
                ev + $"; spatial size {string.Join("×", l.InputShape.TakeLast(2))} → {string.Join("×", l.OutputShape.TakeLast(2))}: the sampling grid of the stride/pooling is not mapped to itself by the group",
                "Make (size + 2·padding − kernel) divisible by the stride with odd sizes (e.g. 29×29 instead of 28×28 for stride 2), or use global pooling, or anti-aliased (blur) pooling with symmetric windows.");
        if (StandardLinear.Contains(type))
            return new(DiagnosisKind.CustomLayer, l.Name, severity, ev + ": its weights are not constrained by the symmetry",
                "Constrain the weights (group convolution, kernels averaged over the group, or an equivariant library layer), or regularize them with the equivariance penalty.");
        if (type.Equals("Flatten", StringComparison.OrdinalIgnoreCase))
            return new(DiagnosisKind.CustomLayer, l.Name, severity, ev + ": flattening keeps the spatial layout, so later layers see transformed features",
                "Replace flatten + linear by global (average or max) pooling over space before the classifier.");
        return new(DiagnosisKind.CustomLayer, l.Name, severity, ev + ": the error is isolated to this module",
            "Review this module's forward against the equivariance constraint (test it alone with EquivarianceAssert.IsEquivariant); check axis conventions and any indexing.");
    }
}

/// <summary>Derives the verdict from the evidence and records the reasons.</summary>
internal static class VerdictRules
{
    private static string E(double v) => v.ToString("0.##e+0", System.Globalization.CultureInfo.InvariantCulture);

    private static Verdict Worse(Verdict a, Verdict b) => (Verdict)Math.Max((int)a, (int)b);

    public static Verdict Decide(DiagnosisContext c, List<Diagnosis> diagnoses, List<string> reasons)
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
        if (v == Verdict.Pass && c.FirstFailing is { } ff)
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
