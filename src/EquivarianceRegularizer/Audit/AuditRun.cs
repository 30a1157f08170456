using System.Diagnostics;
using EquivarianceRegularizer.Audit.Phases;
using EquivarianceRegularizer.Audit.Rules;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// One audit, phase by phase: set-up, inputs, end to end, baselines, precision, gradient, layers, probes, random
/// init, then the rules and the verdict over the evidence, and the Lie phase on the restored model.
/// </summary>
internal sealed class AuditRun(ObservedModel model, Symmetry spec, AuditOptions options)
{
    public AuditReport Run()
    {
        var report = Measure();
        if (options.LeeTransform is not { } lee) return report;
        var (layers, note) = LiePhase.Run(model, options, lee);
        return report with { LieLayerErrors = layers, LieNote = note };
    }

    private AuditReport Measure()
    {
        var clock = Stopwatch.StartNew();
        using var guard = new ModelStateGuard(model);
        using var scope = NewDisposeScope();
        using var gen = new Generator(options.Seed);
        var ctx = new AuditContext(model, spec, options, gen);
        var setup = SetupPhase.Run(ctx);
        var inputs = InputsPhase.Run(ctx);
        var (x, plan) = (inputs.X, inputs.Plan);

        var e2e = EndToEndPhase.Run(ctx, inputs);
        var endToEnd = e2e.Result;
        InterpolationBaseline? baseline = null;
        PrecisionCheck? precision = null;
        if (endToEnd is not null)
        {
            baseline = BaselinePhase.Run(ctx, x, plan);
            if (PrecisionPhase.Applies(ctx, endToEnd, baseline)) precision = PrecisionPhase.Run(ctx, x, plan, e2e.Data!, endToEnd.Relative.Max);
        }

        // Layer-wise isolation and gradient test on a subset of samples and elements.
        int worstElement = e2e.WorstElement;
        long ns = Math.Min(inputs.Count, options.MaxLayerSamples);
        using var xs = x.narrow(0, 0, ns);
        var subPlan = ChooseElements(plan.Count, worstElement).Select(i => AuditEvaluation.Head(plan[i], ns)).ToList();
        var layerGradNorms = new Dictionary<string, double>();
        GradientResult? gradient = null;
        double tEndToEnd = clock.Elapsed.TotalSeconds;
        bool gradients = options.Gradient && e2e.OutputActionError is null;
        // Both phases hold every layer's activations of the samples they process: they walk them in chunks under the budget.
        var chunks = gradients || options.Layers ? SampleChunks.Plan(ctx, xs) : SampleChunks.Whole(ns);
        if (gradients) gradient = GradientPhase.Run(ctx, xs, subPlan, layerGradNorms, chunks);
        double tGradient = clock.Elapsed.TotalSeconds;
        IReadOnlyList<LayerResult> layers = options.Layers ? LayerPhase.Run(ctx, xs, subPlan, layerGradNorms, chunks) : Array.Empty<LayerResult>();
        double tLayers = clock.Elapsed.TotalSeconds;
        var timings = new List<(string, double)>
        {
            ("end_to_end", tEndToEnd), ("gradient", tGradient - tEndToEnd), ("layers", tLayers - tGradient),
        };
        string? firstFailing = layers.FirstOrDefault(l => l.BreaksAlone)?.Name;

        var probes = new Probes(ctx);
        if (setup.Training) probes.TrainModeProbes(xs.narrow(0, 0, chunks.Size));
        if (endToEnd is { Grade: >= ErrorGrade.Approximate } && e2e.OutputActionError is null)
            probes.OutputKindProbe(x, e2e.Y, plan[worstElement]);

        RandomInitBaseline? randomInit = null;
        if (options.RandomInitBaseline && endToEnd is not null)
        {
            randomInit = RandomInitPhase.Run(ctx, x, plan, endToEnd.Relative);
            guard.RestoreValues();
        }

        var evidence = new AuditEvidence(spec, ctx.Thresholds, ctx.DType, setup.Training, setup.WasTraining, options.Mode, endToEnd,
            e2e.IdentityRelativeError, e2e.OutputActionError, precision, baseline, layers, firstFailing, gradient, probes, x.Rank());
        var diagnoses = Diagnostician.Diagnose(evidence);
        var reasons = new List<string>();
        var verdict = VerdictRules.Decide(evidence, diagnoses, reasons);

        foreach (var g in plan) g.Dispose();
        foreach (var g in subPlan) g.Dispose();
        var recommendations = diagnoses.Select(d => $"{d.Location}: {d.Fix}").Distinct().ToList();
        if (recommendations.Count == 0 && verdict == Verdict.Pass)
            recommendations.Add("No action needed; keep this audit in the test suite (EquivarianceAssert) so regressions are caught.");
        return new AuditReport
        {
            Model = EquivarianceRegularizer.Reports.ReportFormat.Printable(options.ModelName ?? model.Name),
            Transform = spec.Input.Name,
            Group = spec.Input.Group.Name,
            SymmetryType = spec.IsInvariant ? "Invariant" : $"Equivariant (output: {spec.Output.Name})",
            DType = ctx.DType,
            EvaluationMode = setup.ModeText,
            ModelWasTraining = setup.WasTraining,
            Seed = options.Seed,
            Thresholds = ctx.Thresholds,
            EndToEnd = endToEnd,
            Baseline = baseline,
            Precision = precision,
            Layers = layers,
            FirstFailingLayer = firstFailing,
            Gradient = gradient,
            Diagnoses = diagnoses.OrderByDescending(d => d.Severity).ToList(),
            Verdict = verdict,
            Reasons = reasons,
            Recommendations = recommendations,
            RandomInit = randomInit,
            Notes = ctx.Notes.ToList(),
            Seconds = clock.Elapsed.TotalSeconds,
            Timings = timings,
        };
    }

    /// <summary>At most <see cref="AuditOptions.MaxLayerElements"/> plan indices, spread evenly, the worst element always among them.</summary>
    private List<int> ChooseElements(int count, int worst)
    {
        if (count <= options.MaxLayerElements) return Enumerable.Range(0, count).ToList();
        var set = new SortedSet<int> { worst };
        for (int i = 0; set.Count < options.MaxLayerElements && i < options.MaxLayerElements; i++)
            set.Add((int)((long)i * count / options.MaxLayerElements));
        return set.ToList();
    }
}
