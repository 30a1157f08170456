using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// Attributes a model's Lie derivative to every module observed during its forward pass, whatever the forward does:
/// functional code between children, nesting, a child called twice. Each module's share is its own Lie derivative
/// pushed forward exactly to the output; the code a module's forward runs itself (a relu, a mean, a residual sum) gets
/// a functional row; leaf modules and functional rows partition the computation, so their contributions add up to the
/// end-to-end Lie derivative (<see cref="LayerwiseLeeReport.SumRelativeResidual"/> checks them against an independent
/// forward-mode jvp), and every container's contribution is its children's plus its own functional code's. TorchSharp
/// modules are observed with forward hooks (children invoked with <c>call</c>), TorchScript archives with taps.
/// The report has the shape of <see cref="LayerwiseLieDerivative"/>'s: <see cref="LayerwiseLeeReport.Layers"/> holds
/// the partition, <see cref="LayerwiseLeeReport.Containers"/> the containers.
/// <para>
/// For geometric transforms the boundary handling of the tangents is taken from the model's own padded layers when
/// they agree (<see cref="LieOptions.BoundaryFromModel"/>; <see cref="LayerwiseLeeReport.Boundary"/> says what was
/// found), each leaf's share is split into its border band and interior, and a layer whose Lie derivative lives only in
/// the border band is marked <see cref="LayerContribution.BorderOnly"/> and never named the culprit.
/// </para>
/// </summary>
public static class ModelLieAttribution
{
    /// <summary>Per-module attribution for a TorchSharp model (for TorchScript, load it with taps and use the other overload).</summary>
    /// <exception cref="ArgumentException">The model is a TorchScript module loaded without taps.</exception>
    public static LayerwiseLeeReport Measure(TensorModel model, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.IsScript)
            throw new ArgumentException("The modules of a TorchScript model are observed through the taps of its archive: load it with TappedScriptModule.Load(path) and pass that.", nameof(model));
        return Measure(new HookedModel(model), x, transform, options);
    }

    /// <summary>Per-module attribution for a TorchScript model loaded with taps; module types come from the archive's classes.</summary>
    internal static LayerwiseLeeReport Measure(TappedScriptModule model, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Measure(new TappedModel(model, "the TorchScript model"), x, transform, options);
    }

    /// <summary>Per-module attribution for any observed model (TorchSharp hooks or TorchScript taps).</summary>
    internal static LayerwiseLeeReport Measure(ObservedModel model, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(transform);
        options ??= LieOptions.Default;
        if (options.Method != LieDerivativeMethod.ForwardMode)
            throw new ArgumentException($"Per-module attribution uses exact jvps (forward mode); got {options.Method}.", nameof(options));
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.BorderWidth < 0) throw new ArgumentOutOfRangeException(nameof(options), options.BorderWidth, "BorderWidth must not be negative.");
        if (options.MemoryBudgetBytes < Audit.AuditOptions.MinimumMemoryBudgetBytes)
            throw new ArgumentOutOfRangeException(nameof(options), options.MemoryBudgetBytes, $"MemoryBudgetBytes must be at least {Audit.AuditOptions.MinimumMemoryBudgetBytes >> 20} MiB (the process itself takes about that); raise it.");
        if (x.Rank() == 0 || x.size(0) < 1) throw new ArgumentException("Needs at least one sample (samples first).", nameof(x));
        using var unoptimized = Jit.UnoptimizedTorchScript.Begin();
        long n = x.size(0);
        var notes = new SortedSet<string>(StringComparer.Ordinal);
        var (batchSize, insideBytes) = ChunkSize(model, x, options, notes);

        BoundaryConvention? boundary = null;
        if (transform is ImageFlowTransform flow)
        {
            using var probe = x.narrow(0, 0, Math.Min(n, 4));
            (transform, boundary) = BoundaryConventionInference.Resolve(model, probe, flow, options, notes);
        }

        List<AttributionRow>? rows = null, containers = null;
        List<RowStatistics>? rowStats = null, containerStats = null;
        var total = new List<double>();
        var outputBorder = new List<double>();
        double totalSquare = 0, residual = 0, borderProjection = 0;
        bool bandMeasured = false;
        bool equivariantOutput = false;
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var xb = x.narrow(0, start, Math.Min(batchSize, n - start));
            var batch = ModuleContributions.Compute(model, xb, transform, options, insideBytes, notes);
            if (rows is null)
            {
                rows = batch.Rows.Select(r => r.Row).ToList();
                containers = batch.Containers.Select(r => r.Row).ToList();
                rowStats = rows.Select(_ => new RowStatistics()).ToList();
                containerStats = containers.Select(_ => new RowStatistics()).ToList();
            }
            else if (!batch.Rows.Select(r => r.Row.Name).SequenceEqual(rows.Select(r => r.Name), StringComparer.Ordinal))
                throw new InvalidOperationException($"The modules {model.Name} calls differ between batches (its forward depends on the data), so one attribution cannot cover them; measure batches that take the same path separately.");
            equivariantOutput = batch.EquivariantOutput;
            var y = batch.Output;
            // A dense output's border band is reported apart: the total and every row cover the output's interior.
            var interior = LocalEquivarianceError.OutputInterior(batch.Lie, equivariantOutput, transform, options.DenseOutputBorder);
            Tensor Inside(Tensor t) => interior is null ? t : t * interior;
            if (interior is not null) outputBorder.AddRange(LocalEquivarianceError.PerSample(batch.Lie - Inside(batch.Lie), y, options.Aggregation, equivariantOutput));
            var lieInside = Inside(batch.Lie);
            total.AddRange(LocalEquivarianceError.PerSample(lieInside, y, options.Aggregation, equivariantOutput));
            var lieMeasured = RowStatistics.Measured(lieInside, y, options.Aggregation);
            totalSquare += lieMeasured.square().sum().ToDouble();

            var sum = zeros_like(batch.Lie);
            double largest = 0;
            for (int i = 0; i < batch.Rows.Count; i++)
            {
                var (_, wholeAll, borderAll) = batch.Rows[i];
                var whole = Inside(wholeAll);
                var border = borderAll is null ? null : Inside(borderAll);
                sum = sum + whole;
                largest = Math.Max(largest, whole.norm().ToDouble());
                rowStats![i].Add(whole, border, y, lieMeasured, options.Aggregation, equivariantOutput);
                if (border is not null)
                {
                    bandMeasured = true;
                    borderProjection += (RowStatistics.Measured(border, y, options.Aggregation) * lieMeasured).sum().ToDouble();
                }
            }
            for (int i = 0; i < batch.Containers.Count; i++)
                containerStats![i].Add(Inside(batch.Containers[i].Whole), null, y, lieMeasured, options.Aggregation, equivariantOutput);
            double denominator = Math.Max(Math.Max(batch.Lie.norm().ToDouble(), largest), 1e-30);
            residual = Math.Max(residual, (sum - lieInside).norm().ToDouble() / denominator);
        }

        int nonFinite = total.Count(v => !double.IsFinite(v));
        if (nonFinite > 0)
            throw new InvalidOperationException($"The Lie derivative along {transform.Name} is NaN or infinite for {nonFinite} of {n} samples; the attribution is undefined.");
        double leeSum = rowStats!.Sum(s => s.Lee);
        // Functional rows of containers that run no code of their own (Sequential) are rounding noise: left out.
        double negligible = (x.dtype == ScalarType.Float64 ? 1e-20 : 1e-10) * Math.Max(leeSum, 1e-300);
        double borderOnlyRatio = x.dtype == ScalarType.Float64 ? 1e-20 : 1e-8;
        var layers = new List<LayerContribution>();
        double cumulative = 0;
        for (int i = 0; i < rows!.Count; i++)
        {
            var r = rows[i];
            var s = rowStats![i];
            if (r.IsFunctional && r.Parent is not null && s.Lee <= negligible) continue;
            double share = leeSum > 0 ? s.Lee / leeSum : 0;
            cumulative += share;
            layers.Add(s.ToContribution(r, layers.Count, share, cumulative, totalSquare, borderOnlyRatio));
        }
        var containerRows = containers!.Select((r, i) => containerStats![i].ToContribution(r, i, leeSum > 0 ? containerStats[i].Lee / leeSum : 0, double.NaN, totalSquare, borderOnlyRatio) with { CumulativeShare = 0 }).ToList();
        var lee = LeeResult.Of(transform.Name, options.Aggregation, equivariantOutput, LieDerivativeMethod.ForwardMode, total);
        return new LayerwiseLeeReport
        {
            Transform = transform.Name,
            Aggregation = options.Aggregation,
            Total = outputBorder.Count == 0 ? lee : lee with { OutputBorderWidth = options.DenseOutputBorder, OutputBorderValue = outputBorder.Average() },
            Layers = layers,
            ShareByRole = layers.GroupBy(l => l.Role.ToString()).ToDictionary(g => g.Key, g => g.Sum(l => l.Share), StringComparer.Ordinal),
            SumRelativeResidual = residual,
            Samples = total.Count,
            Containers = containerRows,
            Boundary = boundary,
            BorderWidth = bandMeasured ? options.BorderWidth : null,
            BorderShare = bandMeasured ? (totalSquare > 0 ? borderProjection / totalSquare : 0) : null,
            Notes = notes.ToList(),
        };
    }

    /// <summary>
    /// Bytes held per sample while a chunk is attributed, in units of one sample's every-call capture (inputs and
    /// outputs): the capture itself, the forward's autograd graph, the graph of its create_graph backward and the pushes'
    /// temporaries. Measured on torchvision's resnet18 (3×112×112, batch 8): about 11 captures per sample.
    /// </summary>
    internal const double WorkingCopies = 12;

    /// <summary>
    /// Bytes held per sample, in units of what one sample's forward holds inside its calls beyond their inputs and outputs
    /// (an attention's weights; <see cref="ObservedModel.GraphBytesOfOneSample"/> less the capture): the forward-mode
    /// passes carry value and tangent, the double-backward fallback a graph and its create_graph backward.
    /// </summary>
    internal const double InsideCopies = 3;

    // Samples per chunk: BatchSize, or fewer where a chunk would not fit the memory budget beside what the process
    // holds; and the bytes one sample's forward holds inside its calls beyond their inputs and outputs.
    private static (int Size, long InsideBytes) ChunkSize(ObservedModel model, Tensor x, LieOptions options, SortedSet<string> notes)
    {
        var (capture, inside) = model.BytesOfOneSample(x);
        long perSample = (long)(WorkingCopies * capture + InsideCopies * inside);
        long budget = options.MemoryBudgetBytes;
        long available = Math.Max(budget / 8, budget - Environment.WorkingSet);
        long fits = perSample > 0 ? available / perSample : long.MaxValue;
        int size = (int)Math.Clamp(fits, 1, options.BatchSize);
        long n = x.size(0);
        string held = FormattableString.Invariant($"every call's activations take {Mib(capture)} per sample") + (inside > capture ? $", and a forward holds {Mib(inside)} more inside the calls" : "");
        if (size < Math.Min(options.BatchSize, n))
            notes.Add($"Samples were attributed in chunks of at most {size} ({held}; memory budget {Mib(budget)}).");
        if (fits < 1)
            notes.Add($"One sample's attribution (about {Mib(perSample)}: {held}) does not fit the memory budget of {Mib(budget)}: it ran one sample at a time and exceeds the budget; raise it.");
        return (size, inside);
    }

    private static string Mib(long bytes) => EquivarianceRegularizer.Reports.ReportFormat.Bytes(bytes);
}
