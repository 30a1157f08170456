using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Evaluation;

/// <summary>
/// The one evaluation shared by the regularizer and the audit: sample (or take) group elements → transform inputs with
/// shared parameters → evaluate the model batched → measure distances per sample.
/// <code>
/// using var r = EquivarianceEvaluator.Evaluate(model, x, new[] { Symmetry.Equivariant(rot) }, Distance.L2, generator);
/// var perSample = r.Distances[0];   // (n)
/// </code>
/// Grad mode is the caller's: wrap in <c>torch.no_grad()</c> for measurements.
/// </summary>
public static class EquivarianceEvaluator
{
    /// <summary>The floating dtype of the model's first floating parameter (or buffer); float32 when it has none.</summary>
    public static ScalarType ModelDtype(TensorModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.DType;
    }

    /// <summary>
    /// Evaluates dist(ρ_out(g)·model(v), model(ρ_in(g)·v)) per sample for every symmetry, one drawn g per sample acting on both.
    /// </summary>
    /// <param name="model">The model; called with batches shaped like <paramref name="inputs"/>.</param>
    /// <param name="inputs">v: n samples, batch first; converted to the model's dtype.</param>
    /// <param name="symmetries">The symmetries (input and output action of one group each).</param>
    /// <param name="distance">The per-sample distance.</param>
    /// <param name="generator">Draws the elements not given in <paramref name="inputElements"/>; may be null when all are given.</param>
    /// <param name="inputElements">Optional given elements per symmetry (entries may be null: then drawn). Not disposed by the result.</param>
    /// <param name="options">Batching, memory budget, norm-statistics and relative-error settings.</param>
    /// <param name="modelOutput">model(v) when the caller already has it (e.g. from the training loss); else computed in the same forward.</param>
    public static EvaluationResult Evaluate(TensorModel model, Tensor inputs, IReadOnlyList<Symmetry> symmetries, Distance distance,
        Generator? generator = null, IReadOnlyList<GroupElements?>? inputElements = null,
        EvaluationOptions? options = null, Tensor? modelOutput = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Evaluate(new EvaluatedModel(model.call, model.DType, model.Module, Device: model.Device), inputs, symmetries, distance, generator, inputElements, options, modelOutput);
    }

    /// <summary>
    /// The evaluation over any forward function (the audit's models, run in the dtype it chose). With
    /// <see cref="EvaluatedModel.ActInInputDtype"/> the group acts on the inputs and outputs in the inputs' own dtype (the
    /// audit passes float64, as e3nn computes the action in float64) and only the forward runs in the model's.
    /// </summary>
    internal static EvaluationResult Evaluate(EvaluatedModel model, Tensor inputs, IReadOnlyList<Symmetry> symmetries, Distance distance,
        Generator? generator, IReadOnlyList<GroupElements?>? inputElements, EvaluationOptions? options, Tensor? modelOutput)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(symmetries);
        ArgumentNullException.ThrowIfNull(distance);
        options ??= EvaluationOptions.Default;
        if (symmetries.Count == 0) throw new ArgumentException("Needs at least one symmetry.", nameof(symmetries));
        if (inputElements is not null && inputElements.Count != symmetries.Count)
            throw new ArgumentException($"inputElements has {inputElements.Count} entries for {symmetries.Count} symmetries.", nameof(inputElements));
        if (inputs.Rank() == 0) throw new ArgumentException("inputs need a batch axis.", nameof(inputs));
        long n = inputs.size(0);
        if (n < 1) throw new ArgumentException("inputs hold no samples.", nameof(inputs));
        if (modelOutput is not null && (modelOutput.Rank() == 0 || modelOutput.size(0) != n))
            throw new ArgumentException(
                $"The model's output on the {n} input rows has shape [{string.Join(", ", modelOutput.shape)}]; the equivariance error needs one output row per input row " +
                "(a model that keeps the batch axis first).", nameof(modelOutput));

        var owned = new List<GroupElements>();
        var inEl = new GroupElements[symmetries.Count];
        try
        {
            for (int k = 0; k < symmetries.Count; k++)
            {
                var symmetry = symmetries[k] ?? throw new ArgumentException($"Symmetry {k} is null.", nameof(symmetries));
                inEl[k] = inputElements?[k] ?? Draw(symmetry.Input.Group, symmetry.Input.Name, n, generator, owned, k);
                if (inEl[k].BatchSize != n)
                    throw new ArgumentException($"Symmetry {k} ({symmetry.Name}): elements for {inEl[k].BatchSize} samples, inputs have {n}.", nameof(inputElements));
            }

            using var scope = NewDisposeScope();
            var dtype = model.DType;
            var v = model.ActInInputDtype || inputs.dtype == dtype ? inputs : inputs.to(dtype);
            if (model.Device is { } device) v = v.OnDevice(device); // every tensor the evaluation makes follows the model's device
            var transformed = new Tensor[symmetries.Count];
            for (int k = 0; k < symmetries.Count; k++) transformed[k] = symmetries[k].Input.Apply(v, inEl[k]);

            Tensor y0;
            Tensor[] yk;
            using (var guard = model.Module is { } module ? new NormStatisticsGuard(module, options.NormLayers) : null)
                (y0, yk) = Forward(model, v, transformed, modelOutput, options, guard?.UsesBatchStatistics ?? false);
            if (modelOutput is not null) y0 = modelOutput.alias(); // the result owns its handles, never the caller's

            if (options.ThrowOnNonFinite) CheckFinite(y0, "model(v)");
            var distances = new Tensor[symmetries.Count];
            for (int k = 0; k < symmetries.Count; k++)
            {
                var symmetry = symmetries[k];
                if (options.ThrowOnNonFinite) CheckFinite(yk[k], $"model(f_in(v)) for transform '{symmetry.Name}'");
                var a = symmetry.IsIndependent && !symmetry.IsInvariant
                    ? symmetry.Output.Apply(y0, Draw(symmetry.Output.Group, symmetry.Output.Name, n, generator, owned, k))
                    : symmetry.ActOnOutput(y0, inEl[k]);
                var sa = a.shape;
                var sb = yk[k].shape;
                if (!sa.AsSpan().SequenceEqual(sb))
                    throw new ArgumentException(
                        $"Transform '{symmetry.Name}': f_out(model(v)) has shape [{string.Join(", ", sa)}] but model(f_in(v)) has shape [{string.Join(", ", sb)}]; " +
                        $"f_out ({symmetry.Output.Name}) must map the model's outputs to the outputs of transformed inputs (f_in = {symmetry.Input.Name}).", nameof(symmetries));
                var d = distance.PerSample(a, yk[k]);
                if (options.Relative) d = d / distance.Norm(a).clamp(min: 1e-12).mean_if_scalar(d);
                if (options.ThrowOnNonFinite) CheckFinite(d, $"the {distance.Name} distance for transform '{symmetry.Name}'");
                distances[k] = d.MoveToOuterDisposeScope();
            }
            var transformedOutputs = yk.Select(y => y.MoveToOuterDisposeScope()).ToArray();
            return new EvaluationResult(y0.MoveToOuterDisposeScope(), transformedOutputs, distances, inEl, owned);
        }
        catch
        {
            foreach (var e in owned) e.Dispose();
            throw;
        }
    }

    private static Tensor mean_if_scalar(this Tensor norms, Tensor distance) => distance.Rank() == 0 ? norms.mean() : norms.alias();

    private static GroupElements Draw(Group group, string transform, long n, Generator? generator, List<GroupElements> owned, int k)
    {
        if (generator is null && group is FiniteGroup { Order: 1 } trivial)
        {
            var identity = trivial.Element(0, n);
            owned.Add(identity);
            return identity;
        }
        if (generator is null)
            throw new ArgumentException($"Symmetry {k}: no elements were given for {transform} and no generator to draw them.", nameof(generator));
        var e = group.Sample(n, generator);
        owned.Add(e);
        return e;
    }

    private static (Tensor y0, Tensor[] yk) Forward(EvaluatedModel model, Tensor v, Tensor[] transformed, Tensor? modelOutput, EvaluationOptions options, bool batchStatistics)
    {
        var parts = modelOutput is null ? transformed.Prepend(v).ToArray() : transformed;
        var outputs = new Tensor[parts.Length];
        // Parts share a forward only where nothing in the model normalises over the batch (a training-mode BatchNorm
        // must see each part, model(v) and every model(f_in(v)), as the batch it is, as a hand-written penalty would),
        // only parts of one sample shape (a transform may crop), and only under the memory budget.
        bool concatenate = options.Batched && !batchStatistics;
        foreach (var group in Enumerable.Range(0, parts.Length).GroupBy(i => concatenate ? string.Join(",", parts[i].shape.Skip(1)) : i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var members = group.ToArray();
            var results = ForwardChunked(model, members.Select(i => parts[i]).ToArray(), options, batchStatistics);
            for (int k = 0; k < members.Length; k++) outputs[members[k]] = results[k];
        }
        return modelOutput is null ? (outputs[0], outputs.Skip(1).ToArray()) : (modelOutput, outputs);
    }

    // One forward over the concatenation of same-shaped batches, in chunks under the memory budget: whole parts per
    // chunk while a part fits, else equal pieces of each part — never pieces while a norm layer normalises over the batch
    // (a part is the size of the caller's own batch, which the model has already run whole).
    private static Tensor[] ForwardChunked(EvaluatedModel model, Tensor[] parts, EvaluationOptions options, bool batchStatistics)
    {
        long rows = parts.Sum(p => p.size(0));
        long n = parts.Max(p => p.size(0));
        double bytesPerRow = (double)parts[0].numel() / Math.Max(1, parts[0].size(0)) * (parts[0].dtype == ScalarType.Float64 ? 8 : 4) * options.ActivationBytesPerInputByte;
        long maxRows = options.MemoryBudgetBytes is { } budget ? Math.Max(1, (long)(budget / Math.Max(1.0, bytesPerRow))) : n;
        var chunks = new List<Tensor>();
        if (rows <= maxRows) chunks.Add(parts.Length == 1 ? parts[0] : cat(parts));
        else if (maxRows >= n || batchStatistics)
        {
            int perChunk = (int)Math.Max(1, Math.Min(parts.Length, maxRows / n));
            for (int i = 0; i < parts.Length; i += perChunk)
            {
                var group = parts.Skip(i).Take(perChunk).ToArray();
                chunks.Add(group.Length == 1 ? group[0] : cat(group));
            }
        }
        else
        {
            foreach (var part in parts)
            {
                long pieces = (part.size(0) + maxRows - 1) / maxRows;
                chunks.AddRange(part.split((part.size(0) + pieces - 1) / pieces));
            }
        }
        var outputs = new Tensor[chunks.Count];
        for (int c = 0; c < chunks.Count; c++)
        {
            outputs[c] = CallScoped(model, chunks[c]);
            if (outputs[c].Rank() == 0 || outputs[c].size(0) != chunks[c].size(0))
                throw new InvalidOperationException(
                    $"The model mapped a batch of {chunks[c].size(0)} input rows to an output of shape [{string.Join(", ", outputs[c].shape)}]; " +
                    "the equivariance error needs one output row per input row (a model that keeps the batch axis first and does not mix samples).");
        }
        var output = outputs.Length == 1 ? outputs[0] : cat(outputs);
        return parts.Length == 1 ? new[] { output } : output.split(parts.Select(p => p.size(0)).ToArray());
    }

    // Each call in its own dispose scope: the model's intermediate handles are released right away instead of
    // piling up until the end of the evaluation (measured: fresh memory for every chunk cost ~25% in page faults).
    private static Tensor CallScoped(EvaluatedModel model, Tensor input)
    {
        using var scope = NewDisposeScope();
        var xin = input.dtype == model.DType || !input.dtype.IsFloatingPoint() ? input : input.to(model.DType);
        if (model.Device is { } device) xin = xin.OnDevice(device);
        var y = model.Call(xin);
        // Acting in the inputs' dtype (the audit's float64), the outputs come back to the inputs' dtype and device.
        if (model.ActInInputDtype && y.dtype.IsFloatingPoint()) y = y.to(input.dtype, input.device);
        return y.MoveToOuterDisposeScope();
    }

    private static void CheckFinite(Tensor t, string what)
    {
        if (!t.dtype.IsFloatingPoint()) return;
        using var nograd = no_grad();
        if (!t.all_finite())
            throw new InvalidOperationException($"{what} contains NaN or infinite values; the equivariance error is undefined there.");
    }
}
