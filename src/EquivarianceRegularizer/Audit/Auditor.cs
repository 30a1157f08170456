using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Models;
using System.Diagnostics;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// Audits a model against a symmetry: identity sanity check, end-to-end error over every element of a finite
/// group (Haar draws for continuous ones), float64 re-run, layer-wise isolation, gradient test, diagnosis and
/// verdict. Transform arithmetic and errors are computed in float64; the model runs in its own dtype.
/// The model's mode, dtype and parameter values are restored afterwards.
/// </summary>
public static class Auditor
{
    /// <summary>Audits a TorchSharp model (an <c>nn.Module&lt;Tensor, Tensor&gt;</c> or a TorchScript module).</summary>
    public static AuditReport Audit(TensorModel model, SymmetrySpec spec, AuditOptions options) =>
        Audit(new ModuleAuditModel(model ?? throw new ArgumentNullException(nameof(model))), spec, options);

    /// <summary>Audits any model behind the <see cref="IAuditModel"/> adapter (e.g. a TorchScript module).</summary>
    public static AuditReport Audit(IAuditModel model, SymmetrySpec spec, AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new AuditRun(model, spec, options).Run();
    }
}

/// <summary>Measurements of one end-to-end pass (before they become an <see cref="EndToEndResult"/>).</summary>
internal sealed class EndToEndData
{
    public List<double> Abs { get; } = new();
    public List<double> Rel { get; } = new();
    public List<(int Sample, int Element)> Index { get; } = new();
    public double[]? Spatial { get; set; }
    public int H { get; set; }
    public int W { get; set; }
    public bool NonFinite { get; set; }
    public double MeanOutputNorm { get; set; }

    public double MaxRel => Rel.Count == 0 ? double.NaN : Rel.Any(v => !double.IsFinite(v)) ? double.PositiveInfinity : Rel.Max();

    public int WorstEntry()
    {
        int best = 0;
        for (int i = 1; i < Rel.Count; i++)
            if (!(Rel[i] <= Rel[best])) best = i; // NaN or larger wins
        return best;
    }
}

internal sealed class AuditRun(IAuditModel model, SymmetrySpec spec, AuditOptions options)
{
    private readonly List<string> _notes = new();
    private ScalarType _dtype;
    private Thresholds _th = Thresholds.Float32;
    private Tensor? _outputMask;
    private Tensor? _inputMask;

    public AuditReport Run()
    {
        var clock = Stopwatch.StartNew();
        using var guard = new ModelStateGuard(model);
        using var scope = NewDisposeScope();
        using var gen = new Generator(options.Seed);
        bool wasTraining = model.Training;
        _dtype = options.DType ?? model.DType;
        if (!_dtype.IsFloatingPoint()) _dtype = ScalarType.Float32;
        if (model.DType != _dtype) model.ConvertTo(_dtype);
        switch (options.Mode)
        {
            case EvaluationMode.Eval: model.SetTraining(false); break;
            case EvaluationMode.Train: model.SetTraining(true); break;
        }
        bool training = model.Training;
        string modeText = options.Mode switch
        {
            EvaluationMode.Eval => "eval",
            EvaluationMode.Train => "train",
            _ => $"as-is ({(training ? "train" : "eval")})",
        };
        _notes.Add(options.Mode == EvaluationMode.Eval
            ? $"Evaluated in eval mode (the default){(wasTraining ? "; the model was handed over in train mode and is restored to it" : "")}."
            : $"Evaluated in {(training ? "train" : "eval")} mode as requested.");
        _th = options.Thresholds ?? Thresholds.For(_dtype);
        _notes.Add($"Model dtype {_dtype}; thresholds {_th.Perfect:0e+0} / {_th.Excellent:0e+0} / {_th.Approximate:0e+0} (perfect / excellent / approximate) keyed on {_dtype}; transforms and errors computed in float64.");

        var x = MakeInputs(gen);
        long n = x.size(0);
        var (plan, source, _) = AuditKernels.PlanElements(spec.Input, n, options.RandomDraws, gen);
        x = PrepareMask(x);

        // Validate that the input transform acts on these inputs at all: bad usage, not a model failure.
        try { using var probe = spec.Input.Apply(x, plan[0]); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            throw new ArgumentException($"The input transform {spec.Input.Name} cannot act on inputs of shape [{string.Join(",", x.shape.Skip(1))}]: {e.Message}", nameof(spec), e);
        }

        var diagnoses = new List<Diagnosis>();
        var reasons = new List<string>();

        var y = Forward(x);
        // Identity sanity check.
        var (identityRel, identityWhat, outputActionError) = IdentityCheck(x, y);
        EndToEndData? e2e = null;
        if (outputActionError is null)
        {
            try { e2e = Measure(x, y, plan); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException) { outputActionError = e.Message; }
        }

        EndToEndResult? endToEnd = null;
        InterpolationBaseline? baseline = null;
        PrecisionCheck? precision = null;
        if (e2e is not null)
        {
            int worst = e2e.WorstEntry();
            var (ws, we) = e2e.Index[worst];
            var relStats = ErrorStats.Of(e2e.Rel);
            endToEnd = new EndToEndResult
            {
                Samples = (int)n,
                Elements = plan.Count,
                ElementSource = source,
                IdentityRelativeError = identityRel,
                IdentityCheck = identityWhat,
                Absolute = ErrorStats.Of(e2e.Abs),
                Relative = relStats,
                Worst = new SampleError(ws, plan[we].Describe(ws), e2e.Abs[worst], e2e.Rel[worst]),
                RelativeErrors = e2e.Rel.ToArray(),
                MeanOutputNorm = e2e.MeanOutputNorm,
                NonFinite = e2e.NonFinite,
                ErrorMap = e2e.Spatial is { } s ? new SpatialErrorMap("model output", e2e.H, e2e.W, s) : null,
                Grade = _th.Grade(relStats.Max),
            };
            baseline = MeasureBaseline(x, plan);
            bool withinBaseline = baseline is { } bl && relStats.Max <= _th.BaselineFactor * bl.MaxRelative + _th.Excellent;
            if (options.PrecisionCheck && _dtype != ScalarType.Float64 && endToEnd.Grade >= ErrorGrade.Approximate && !e2e.NonFinite && !withinBaseline)
                precision = RerunInFloat64(x, plan, relStats.Max);
        }

        // Layer-wise isolation and gradient test on a subset of samples and elements.
        int worstElement = e2e is null ? 0 : e2e.Index[e2e.WorstEntry()].Element;
        var chosen = ChooseElements(plan.Count, worstElement);
        long ns = Math.Min(n, options.MaxLayerSamples);
        using var xs = x.narrow(0, 0, ns);
        var subPlan = chosen.Select(i => AuditKernels.Head(plan[i], ns)).ToList();
        var layerGradNorms = new Dictionary<string, double>();
        GradientResult? gradient = null;
        double tEndToEnd = clock.Elapsed.TotalSeconds;
        if (options.Gradient && outputActionError is null) gradient = GradientTest(xs, subPlan, layerGradNorms);
        double tGradient = clock.Elapsed.TotalSeconds;
        IReadOnlyList<LayerResult> layers = Array.Empty<LayerResult>();
        if (options.Layers) layers = LayerPass(xs, subPlan, layerGradNorms);
        double tLayers = clock.Elapsed.TotalSeconds;
        var timings = new List<PhaseTiming>
        {
            new("end_to_end", tEndToEnd), new("gradient", tGradient - tEndToEnd), new("layers", tLayers - tGradient),
        };
        string? firstFailing = layers.FirstOrDefault(l => !l.IsContainer && l.Grade is { } g && g >= ErrorGrade.Approximate)?.Name;

        // Probes that only diagnosis needs.
        var probes = new Probes(this);
        if (training) probes.TrainModeProbes(xs);
        if (endToEnd is { Grade: >= ErrorGrade.Approximate } && outputActionError is null)
            probes.OutputKindProbe(x, y, plan[worstElement]);

        RandomInitBaseline? randomInit = null;
        if (options.RandomInitBaseline && endToEnd is not null)
        {
            randomInit = MeasureRandomInit(x, y, plan, endToEnd.Relative, gen);
            guard.RestoreValues();
        }

        var context = new DiagnosisContext(spec, _th, _dtype, training, wasTraining, options.Mode, endToEnd, identityRel, outputActionError,
            precision, baseline, layers, firstFailing, gradient, probes, x.Rank());
        diagnoses.AddRange(Diagnostician.Diagnose(context));
        var verdict = VerdictRules.Decide(context, diagnoses, reasons);

        foreach (var g in plan) g.Dispose();
        foreach (var g in subPlan) g.Dispose();
        var recommendations = diagnoses.Select(d => $"{d.Location}: {d.Fix}").Distinct().ToList();
        if (recommendations.Count == 0 && verdict == Verdict.Pass)
            recommendations.Add("No action needed; keep this audit in the test suite (EquivarianceAssert) so regressions are caught.");
        return new AuditReport
        {
            Model = options.ModelName ?? model.Name,
            Transform = spec.Input.Name,
            Group = spec.Input.Group,
            SymmetryType = spec.IsInvariant ? "Invariant" : $"Equivariant (output: {spec.Output})",
            DType = _dtype,
            EvaluationMode = modeText,
            ModelWasTraining = wasTraining,
            Seed = options.Seed,
            Thresholds = _th,
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
            Notes = _notes.ToList(),
            Seconds = clock.Elapsed.TotalSeconds,
            Timings = timings,
        };
    }

    // ---- inputs -----------------------------------------------------------------------------

    private Tensor MakeInputs(Generator gen)
    {
        if (options.Inputs is { } given)
        {
            long n = Math.Min(given.size(0), options.Samples);
            _notes.Add($"Inputs: the first {n} samples of the given data.");
            using var head = given.narrow(0, 0, n);
            return head.to(ScalarType.Float64, copy: true);
        }
        var shape = new[] { (long)options.Samples }.Concat(options.InputShape!).ToArray();
        Sampling.AllocationGuard.EnsureFits(shape, ScalarType.Float64, "InputShape");
        var (lo, hi) = options.Bounds;
        _notes.Add($"Inputs: {options.Samples} samples uniform in [{lo}, {hi}] of shape [{string.Join(",", options.InputShape!)}], seed {options.Seed}.");
        if (IsInterpolating && shape.Length >= 3)
        {
            // White noise is all high frequency, which no interpolation can transform faithfully: the baseline
            // would be O(1) and hide everything. Draw noise on a 4× coarser grid and upsample it bilinearly.
            long h = shape[^2], w = shape[^1];
            var coarseShape = shape.ToArray();
            coarseShape[^2] = Math.Max(2, h / 4);
            coarseShape[^1] = Math.Max(2, w / 4);
            using var scope = NewDisposeScope();
            var coarse = rand(coarseShape, dtype: ScalarType.Float64, generator: gen);
            var flat = coarse.reshape(-1, 1, coarseShape[^2], coarseShape[^1]);
            var smooth = nn.functional.interpolate(flat, new[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: true).reshape(shape);
            _notes.Add("Random inputs are smooth (uniform noise on a 4× coarser grid, upsampled bilinearly) because the transform interpolates.");
            return (smooth * (hi - lo) + lo).MoveToOuterDisposeScope();
        }
        using var u = rand(shape, dtype: ScalarType.Float64, generator: gen);
        return u * (hi - lo) + lo;
    }

    private bool IsInterpolating => spec.Input is IContinuousTransform { IsExactOnGrid: false };

    private Tensor PrepareMask(Tensor x)
    {
        if (!IsInterpolating || x.Rank() < 3) return x;
        long h = x.size(x.Rank() - 2), w = x.size(x.Rank() - 1);
        double r = Math.Min(h, w) / 2.0 - 1;
        var disk = AuditKernels.DiskMask(h, w, r);
        _inputMask = disk;
        _outputMask = AuditKernels.DiskMask(h, w, Math.Max(1, r - 2));
        _notes.Add($"{spec.Input.Name} interpolates: inputs are masked to the central disk (radius {r:0.#} px) so no content leaves the grid; spatial outputs are compared inside radius {Math.Max(1, r - 2):0.#} px.");
        return x * disk;
    }

    private Tensor Masked(Tensor y) =>
        _outputMask is { } m && y.Rank() >= 3 && y.size(y.Rank() - 2) == m.size(0) && y.size(y.Rank() - 1) == m.size(1) ? y * m : y;

    // ---- forwards ---------------------------------------------------------------------------

    internal Tensor Forward(Tensor x64)
    {
        using var _ = no_grad();
        using var xin = x64.to(_dtype);
        using var y = model.Forward(xin);
        return y.to(ScalarType.Float64, copy: true);
    }

    internal IAuditModel Model => model;

    internal SymmetrySpec Spec => spec;

    internal ScalarType DType => _dtype;

    internal Thresholds Th => _th;

    private (double Rel, string What, string? OutputError) IdentityCheck(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        try
        {
            if (spec.Input is IFiniteTransform f)
            {
                using var e = f.Element(0, x.size(0));
                var y1 = Forward(spec.Input.Apply(x, e));
                var y2 = spec.Output.Apply(y, e);
                var (_, rel) = AuditKernels.Errors(y1, y2);
                return (rel.Max(), $"identity element of {spec.Input.Group}: f(e·x) vs e·f(x)", null);
            }
            var again = Forward(x);
            var (_, r2) = AuditKernels.Errors(again, y);
            return (r2.Max(), "repeated forward f(x) vs f(x) (the group's identity is not enumerable)", null);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            return (double.NaN, "identity check could not run", $"the output action {spec.Output} cannot be applied to outputs of shape [{string.Join(",", y.shape.Skip(1))}]: {ex.Message}");
        }
    }

    internal EndToEndData Measure(Tensor x, Tensor y, IReadOnlyList<GroupElements> plan)
    {
        using var scope = NewDisposeScope();
        var data = new EndToEndData();
        bool yFinite = y.all_finite();
        data.NonFinite = !yFinite;
        data.MeanOutputNorm = AuditKernels.PerSampleNorm(y).Average();
        for (int k = 0; k < plan.Count; k++)
        {
            using var inner = NewDisposeScope();
            var y1 = Masked(Forward(spec.Input.Apply(x, plan[k])));
            var y2 = Masked(spec.Output.Apply(y, plan[k]));
            if (!y1.shape.SequenceEqual(y2.shape))
                throw new InvalidOperationException($"f(T x) has shape [{string.Join(",", y1.shape.Skip(1))}] but the output action gives [{string.Join(",", y2.shape.Skip(1))}].");
            if (!y1.all_finite()) data.NonFinite = true;
            var (abs, rel) = AuditKernels.Errors(y1, y2);
            for (int i = 0; i < abs.Length; i++)
            {
                data.Abs.Add(abs[i]);
                data.Rel.Add(rel[i]);
                data.Index.Add((i, k));
            }
            if (!spec.IsInvariant && AuditKernels.SpatialAbsSum(y1, y2, out int h, out int w) is { } s)
            {
                if (data.Spatial is null) { data.Spatial = new double[s.Length]; data.H = h; data.W = w; }
                if (data.Spatial.Length == s.Length) for (int i = 0; i < s.Length; i++) data.Spatial[i] += s[i];
            }
        }
        if (data.Spatial is { } sp)
        {
            double denom = (double)x.size(0) * plan.Count * (y.numel() / Math.Max(1, y.size(0)) / (data.H * (double)data.W));
            for (int i = 0; i < sp.Length; i++) sp[i] /= denom;
        }
        return data;
    }

    private InterpolationBaseline? MeasureBaseline(Tensor x, IReadOnlyList<GroupElements> plan)
    {
        if (!IsInterpolating) return null;
        using var scope = NewDisposeScope();
        var rels = new List<double>();
        foreach (var g in plan)
        {
            using var inv = AuditKernels.NegatedParameters(g);
            if (inv is null)
            {
                _notes.Add("No interpolation baseline: the transform's elements have no negatable parameters.");
                return null;
            }
            var back = spec.Input.Apply(spec.Input.Apply(x, g), inv);
            var (_, rel) = AuditKernels.Errors(Masked(back), Masked(x));
            rels.AddRange(rel);
        }
        string mask = _outputMask is null ? "whole tensor" : "central disk";
        return new InterpolationBaseline(rels.Average(), rels.Max(), mask);
    }

    private PrecisionCheck RerunInFloat64(Tensor x, IReadOnlyList<GroupElements> plan, double modelMax)
    {
        var saved = _dtype;
        try
        {
            model.ConvertTo(ScalarType.Float64);
            _dtype = ScalarType.Float64;
            using var scope = NewDisposeScope();
            var y64 = Forward(x);
            var data = Measure(x, y64, plan);
            double max64 = data.MaxRel;
            // Rounding shrinks by ~eps64/eps32 ≈ 2e-9 in float64; a symmetry bug does not shrink at all.
            bool collapsed = max64 * _th.PrecisionCollapseFactor <= modelMax && max64 < _th.Perfect;
            return new PrecisionCheck(modelMax, max64, collapsed);
        }
        finally
        {
            _dtype = saved;
            model.ConvertTo(saved);
        }
    }

    private List<int> ChooseElements(int count, int worst)
    {
        if (count <= options.MaxLayerElements) return Enumerable.Range(0, count).ToList();
        var set = new SortedSet<int> { worst };
        for (int i = 0; set.Count < options.MaxLayerElements && i < options.MaxLayerElements; i++)
            set.Add((int)((long)i * count / options.MaxLayerElements));
        return set.ToList();
    }

    // ---- gradient test ----------------------------------------------------------------------

    private (Tensor Grad, double[] Loss, Dictionary<string, double> LayerNorms) InputGradient(Tensor x64, bool withLayers)
    {
        using var scope = NewDisposeScope();
        using var _ = enable_grad();
        var xin = x64.to(_dtype, copy: true).requires_grad_();
        Tensor y;
        IReadOnlyList<LayerCapture> caps = Array.Empty<LayerCapture>();
        if (withLayers) (y, caps) = model.ForwardWithLayers(xin, gradientProbes: true);
        else y = model.Forward(xin);
        var sq = y.to(ScalarType.Float64) * y.to(ScalarType.Float64);
        var perSample = sq.Rank() > 1 ? sq.flatten(1).sum(new long[] { 1 }) * 0.5 : sq * 0.5;
        var loss = perSample.sum();
        var targets = new List<Tensor> { xin };
        var names = new List<string>();
        var seen = new Dictionary<string, int>();
        foreach (var c in caps)
        {
            string name = Occurrence(seen, c.Name);
            if (c.GradientTarget is { requires_grad: true } o) { targets.Add(o); names.Add(name); }
        }
        var grads = Gradients.Of(loss, targets);
        var layerNorms = new Dictionary<string, double>();
        for (int i = 0; i < names.Count; i++)
            if (grads[i + 1] is { } g) layerNorms[names[i]] = AuditKernels.PerSampleNorm(g).Average();
        var gx = grads[0] is { } g0 ? g0.to(ScalarType.Float64, copy: true) : zeros_like(x64);
        return (gx.MoveToOuterDisposeScope(), perSample.data<double>().ToArray(), layerNorms);
    }

    internal static string Occurrence(Dictionary<string, int> seen, string name)
    {
        int k = seen.TryGetValue(name, out int c) ? c + 1 : 1;
        seen[name] = k;
        return k == 1 ? name : $"{name}#{k}";
    }

    private GradientResult GradientTest(Tensor xs, IReadOnlyList<GroupElements> plan, Dictionary<string, double> layerNorms)
    {
        using var scope = NewDisposeScope();
        GradientResult? early = null;
        if (IsInterpolating)
            early = new GradientResult { Judged = false, Applicable = false, NotJudgedReason = $"{spec.Input.Name} interpolates: input gradients transform by its adjoint, which is not the transform itself; judge gradients with an exact transform." };
        Tensor gx; double[] loss;
        try
        {
            var (g, l, norms) = InputGradient(xs, withLayers: true);
            gx = g; loss = l;
            foreach (var kv in norms) layerNorms[kv.Key] = kv.Value;
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
        {
            return new GradientResult { Judged = false, NotJudgedReason = "the model could not be differentiated: " + e.Message };
        }
        if (early is not null) return early;
        double[] norms0 = AuditKernels.PerSampleNorm(gx);
        double median = Median(norms0);
        double floor = _th.GradientFloor * (1 + Math.Abs(Median(loss)));
        if (!(median > floor))
        {
            return new GradientResult
            {
                Judged = false, MedianGradientNorm = median, Floor = floor,
                NotJudgedReason = $"input gradients sit at the numerical floor (median ‖∇ₓℓ‖ = {median:0.##e+0} ≤ {floor:0.##e+0}): their direction is rounding noise, so comparing them would test noise, not the model. Refusing to judge; use inputs where the loss is not saturated or flat.",
            };
        }
        var rels = new List<double>();
        foreach (var g in plan)
        {
            using var inner = NewDisposeScope();
            var (gt, _, _) = InputGradient(spec.Input.Apply(xs, g), withLayers: false);
            var expected = spec.Input.Apply(gx, g);
            rels.AddRange(AuditKernels.Errors(gt, expected).Rel);
        }
        var stats = ErrorStats.Of(rels);
        return new GradientResult { Judged = true, Relative = stats, MedianGradientNorm = median, Floor = floor, Grade = _th.Grade(stats.Max) };
    }

    private static double Median(double[] v)
    {
        if (v.Length == 0) return double.NaN;
        var s = v.OrderBy(a => a).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    // ---- layer-wise isolation ---------------------------------------------------------------

    internal (Tensor Output, List<(string Name, LayerCapture Capture)> Layers) Capture(Tensor x64)
    {
        using var _ = no_grad();
        var xin = x64.to(_dtype);
        var (y, caps) = model.ForwardWithLayers(xin);
        var seen = new Dictionary<string, int>();
        var list = new List<(string, LayerCapture)>();
        foreach (var c in caps)
        {
            list.Add((Occurrence(seen, c.Name), c));
        }
        return (y, list);
    }

    private TensorAction DefaultAction(Tensor t, long[] modelOutputShape, int inputRank)
    {
        bool isOutputShaped = t.shape.Skip(1).SequenceEqual(modelOutputShape.Skip(1));
        if (!spec.IsInvariant && isOutputShaped && t.Rank() != inputRank) return spec.Output;
        if (t.Rank() == inputRank) return TensorAction.By(spec.Input);
        if (t.Rank() < inputRank) return TensorAction.Invariant;
        return TensorAction.NotTestable($"its rank {t.Rank() - 1} exceeds the input's {inputRank - 1}; give a per-layer action");
    }

    private static TensorAction Checked(TensorAction a, Tensor t, GroupElements g)
    {
        if (a.NotTestableReason is not null) return a;
        try { using var probe = a.Apply(t, g); return a; }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            return TensorAction.NotTestable($"{a} cannot act on shape [{string.Join(",", t.shape.Skip(1))}] ({e.Message})");
        }
    }

    private List<LayerResult> LayerPass(Tensor xs, List<GroupElements> plan, Dictionary<string, double> gradNorms)
    {
        using var scope = NewDisposeScope();
        var (yBase, baseCaps) = Capture(xs);
        var transformed = plan.Select(g => Capture(spec.Input.Apply(xs, g)).Layers).ToList();
        var results = new List<LayerResult>();
        var declared = model.DeclaredLayers;
        var containers = new HashSet<string>(declared.Where(d => d.IsContainer).Select(d => d.Name));
        var called = new HashSet<string>();
        foreach (var (name, cap) in baseCaps)
        {
            using var inner = NewDisposeScope();
            called.Add(cap.Name);
            string baseName = cap.Name;
            bool container = containers.Contains(baseName);
            if (cap.Input is null || cap.Output is null)
            {
                results.Add(new LayerResult { Name = name, TypeName = cap.TypeName, IsContainer = container, NotTestableReason = cap.Input is null ? "its input is not a single tensor" : "its output is not a single tensor" });
                continue;
            }
            var inShape = cap.Input.shape;
            var outShape = cap.Output.shape;
            TensorAction inAct, outAct;
            if (options.LayerActions.TryGetValue(baseName, out var ov) || options.LayerActions.TryGetValue(name, out ov))
            {
                inAct = ov.Input;
                outAct = ov.Output;
            }
            else
            {
                inAct = DefaultAction(cap.Input, yBase.shape, xs.Rank());
                outAct = DefaultAction(cap.Output, yBase.shape, xs.Rank());
            }
            inAct = Checked(inAct, cap.Input, plan[0]);
            outAct = Checked(outAct, cap.Output, plan[0]);
            bool nonFinite = !cap.Output.all_finite();
            double actNorm = AuditKernels.PerSampleNorm(cap.Output).Average();
            double gradNorm = gradNorms.TryGetValue(name, out var gn) ? gn : double.NaN;
            string? reason = inAct.NotTestableReason is { } ri ? "input: " + ri : outAct.NotTestableReason is { } ro ? "output: " + ro : null;
            var fn = model.LayerFunction(baseName);
            // Cumulative error along the model (available whenever the output action is known).
            var cumulative = new List<double>();
            var inputErr = new List<double>();
            var own = new List<double>();
            double[]? spatial = null; int h = 0, w = 0;
            bool shapeMismatch = false;
            double layerBaseline = 0;
            // Float64 copies once per layer; permutation-type actions are exact in any dtype and skip them.
            var in64 = ExactAction(inAct) ? cap.Input : cap.Input.to(ScalarType.Float64);
            var out64 = ExactAction(outAct) ? cap.Output : cap.Output.to(ScalarType.Float64);
            Tensor? maskedIn = null, maskedOut = null;
            for (int k = 0; k < plan.Count && outAct.NotTestableReason is null; k++)
            {
                var match = transformed[k].FirstOrDefault(t => t.Name == name).Capture;
                if (match?.Output is not null)
                {
                    var expected = outAct.Apply(out64, plan[k]);
                    if (expected.shape.SequenceEqual(match.Output.shape)) cumulative.AddRange(AuditKernels.Errors(match.Output, expected).Rel);
                    if (fn is null && inAct.NotTestableReason is null && match.Input is not null)
                    {
                        var expIn = inAct.Apply(in64, plan[k]);
                        if (expIn.shape.SequenceEqual(match.Input.shape)) inputErr.AddRange(AuditKernels.Errors(match.Input, expIn).Rel);
                    }
                }
                if (reason is null && fn is not null)
                {
                    using var _ = no_grad();
                    var u = in64;
                    var baseOut = out64;
                    if (_inputMask is { } im && u.Rank() >= 3 && u.size(u.Rank() - 2) == im.size(0) && u.size(u.Rank() - 1) == im.size(1))
                    {
                        // Interpolating transforms lose what leaves the grid: test the layer on its input restricted to the disk.
                        maskedIn ??= (cap.Input * im.to(cap.Input.dtype)).to(ScalarType.Float64);
                        maskedOut ??= fn(maskedIn.to(cap.Input.dtype)).to(ScalarType.Float64);
                        u = maskedIn;
                        baseOut = maskedOut;
                    }
                    var uT = inAct.Apply(u, plan[k]).to(cap.Input.dtype);
                    var o1 = Masked(fn(uT));
                    var o2 = Masked(outAct.Apply(baseOut, plan[k]));
                    if (!o1.shape.SequenceEqual(o2.shape)) { shapeMismatch = true; break; }
                    if (IsInterpolating) layerBaseline = Math.Max(layerBaseline, Math.Max(RoundTrip(inAct, cap.Input, plan[k]), RoundTrip(outAct, cap.Output, plan[k])));
                    var (rel, s, hh, ww) = AuditKernels.CompareLayer(o1, o2, uT, cap.Input.dtype);
                    own.AddRange(rel);
                    if (s is not null)
                    {
                        h = hh;
                        w = ww;
                        spatial ??= new double[s.Length];
                        if (spatial.Length == s.Length) for (int i = 0; i < s.Length; i++) spatial[i] += s[i];
                    }
                }
            }
            if (shapeMismatch) reason = $"the layer maps T(input) to a different shape than T(output) (e.g. rot90 on a non-square map)";
            string method = "isolated";
            if (reason is null && fn is null)
            {
                // Not callable alone (TorchScript): estimate the layer's own error as the growth of the error across it.
                method = "taps";
                if (cumulative.Count > 0)
                {
                    double inMax = inputErr.Count > 0 ? inputErr.Where(double.IsFinite).DefaultIfEmpty(0).Max() : 0;
                    own.AddRange(cumulative.Select(c => double.IsFinite(c) ? Math.Max(0, c - inMax) : c));
                }
                else reason = "no captured activation at T(x) to compare with";
            }
            SpatialErrorMap? map = null;
            if (spatial is not null && h > 0)
            {
                double denom = plan.Count * (double)cap.Output.numel() / (h * (double)w);
                map = new SpatialErrorMap(name, h, w, spatial.Select(v => v / denom).ToArray());
            }
            var ownStats = own.Count > 0 ? ErrorStats.Of(own) : null;
            results.Add(new LayerResult
            {
                Name = name,
                TypeName = cap.TypeName,
                IsContainer = container,
                NotTestableReason = reason,
                InputAction = inAct.ToString(),
                OutputAction = outAct.ToString(),
                Method = reason is null ? method : "",
                InputShape = inShape.Skip(1).ToArray(),
                OutputShape = outShape.Skip(1).ToArray(),
                OwnMaxRelative = ownStats?.Max ?? double.NaN,
                OwnMeanRelative = ownStats?.Mean ?? double.NaN,
                CumulativeMaxRelative = cumulative.Count > 0 ? ErrorStats.Of(cumulative).Max : double.NaN,
                ActivationNorm = actNorm,
                GradientNorm = gradNorm,
                NonFinite = nonFinite,
                Grade = reason is null && ownStats is not null ? LayerGrade(ownStats.Max, layerBaseline) : null,
                InterpolationBaseline = IsInterpolating ? layerBaseline : double.NaN,
                ErrorMap = map,
            });
        }
        foreach (var d in declared.Where(d => !called.Contains(d.Name)))
            results.Add(new LayerResult { Name = d.Name, TypeName = d.TypeName, IsContainer = d.IsContainer, NotTestableReason = "not called during forward" });
        return results;
    }

    /// <summary>True when the action only moves entries (finite index groups, permutations, invariance): exact in any dtype.</summary>
    private static bool ExactAction(TensorAction a) => a.IsInvariant || a.Transform is IndexedFiniteTransform or Permutation;

    /// <summary>The grade of a layer's own error, judged against the interpolation baseline of its tensors.</summary>
    private ErrorGrade LayerGrade(double own, double baseline)
    {
        var g = _th.Grade(own);
        if (g > ErrorGrade.Excellent && baseline > 0 && own <= _th.BaselineFactor * baseline + _th.Excellent) return ErrorGrade.Excellent;
        return g;
    }

    /// <summary>Largest relative round-trip error ‖ρ(g)⁻¹ρ(g)t − t‖ / ‖t‖ of an action on a tensor (0 when the action is exact or trivial).</summary>
    private double RoundTrip(TensorAction action, Tensor t, GroupElements g)
    {
        if (action.Transform is not IContinuousTransform { IsExactOnGrid: false } c) return 0;
        using var scope = NewDisposeScope();
        using var inv = AuditKernels.NegatedParameters(g);
        if (inv is null) return 0;
        try
        {
            var t64 = t.to(ScalarType.Float64);
            var back = c.Apply(c.Apply(t64, g), inv);
            return AuditKernels.Errors(Masked(back), Masked(t64)).Rel.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            return 0;
        }
    }

    // ---- random-init baseline ---------------------------------------------------------------

    private RandomInitBaseline MeasureRandomInit(Tensor x, Tensor y, IReadOnlyList<GroupElements> plan, ErrorStats trained, Generator gen)
    {
        using (no_grad())
        using (NewDisposeScope()) // the in-place ops' returned handles
        {
            foreach (var (name, t, isParam) in model.State())
            {
                if (!isParam || !t.dtype.IsFloatingPoint()) continue;
                var shape = t.shape;
                if (shape.Length >= 2)
                {
                    long fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                    double bound = 1 / Math.Sqrt(fanIn);
                    t.uniform_(-bound, bound, gen);
                }
                else if (name.EndsWith("weight", StringComparison.Ordinal)) t.fill_(1);
                else t.zero_();
            }
        }
        using var scope = NewDisposeScope();
        var yFresh = Forward(x);
        var data = Measure(x, yFresh, plan);
        var stats = ErrorStats.Of(data.Rel);
        _notes.Add("Random-init baseline: the same architecture with parameters redrawn (weights U(±1/√fan_in), biases 0, norm scales 1), same inputs and elements.");
        double ratio = stats.Max > 0 ? trained.Max / stats.Max : double.NaN;
        return new RandomInitBaseline(stats.Max, stats.Mean, ratio);
    }
}
