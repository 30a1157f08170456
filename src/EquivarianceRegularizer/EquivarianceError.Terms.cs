using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Sampling;

namespace EquivarianceRegularizer;

// The evaluation of the chosen terms (finite by the shared evaluation, infinitesimal by the Lie derivative) and the
// penalty built from them, split from EquivarianceError.cs by concern. Nothing here reads a tensor back from the
// model's device unless checks or statistics were asked for.
public sealed partial class EquivarianceError
{
    private EquivarianceEstimate Run(Tensor? points, Tensor? modelOutput, bool withStatistics)
    {
        if (_generator.Handle == IntPtr.Zero)
            throw new ObjectDisposedException(nameof(EquivarianceErrorOptions.Generator),
                "The Generator given in EquivarianceErrorOptions has been disposed; keep it alive as long as the regularizer, or pass a Seed.");
        bool check = withStatistics || Options.CheckEveryCall || Options.NonFiniteSamples == NonFiniteSamples.Skip;
        var chosen = ChooseTerms();
        using var scope = NewDisposeScope();
        var v = points ?? SamplePoints();
        CheckPoints(v, check);
        if (modelOutput is not null) CheckModelOutput(v, modelOutput);
        var finite = chosen.Where(i => !_terms[i].Infinitesimal).ToArray();
        var infinitesimal = chosen.Where(i => _terms[i].Infinitesimal).ToArray();
        var perTerm = new Dictionary<int, Tensor>();
        long skipped = EvaluateTerms(ref v, ref modelOutput, finite, infinitesimal, perTerm, check);

        Tensor? total = null;
        var errors = new List<Tensor>();
        var penalties = new List<Tensor>();
        foreach (int i in chosen)
        {
            var t = _terms[i];
            var d = perTerm[i];
            if (check) CheckNonNegative(d, t);
            Tensor error = d.Rank() == 0 ? d : d.mean();
            Tensor penalty;
            if (t.IsConstrained)
            {
                // The Lagrangian term λ·(error − ε) with λ ≥ 0 held fixed in this step (a copy, because the dual step
                // below updates λ in place), then projected dual ascent on the device.
                var lambda = t.Multiplier(error.device, error.dtype).clone();
                penalty = lambda * (error - t.Epsilon);
                t.DualStep(error);
            }
            else
            {
                penalty = Options.PerSampleHinge && d.Rank() > 0
                    ? (d - t.Epsilon).clamp_min(0).mean() * t.Lambda
                    : (error - t.Epsilon).clamp_min(0) * t.Lambda;
            }
            total = total is null ? penalty : total + penalty;
            errors.Add(error);
            penalties.Add(penalty);
        }

        var last = new LastCall(chosen, perTerm.OrderBy(p => Array.IndexOf(chosen, p.Key)).Select(p => p.Value).ToArray(),
            penalties.ToArray(), v.size(0), skipped);
        var terms = withStatistics ? last.Read(this) : Array.Empty<TermEstimate>();
        lock (_lastLock)
        {
            _last?.Dispose();
            _last = last;
        }

        return new EquivarianceEstimate(total!.MoveToOuterDisposeScope(), errors.Select(e => e.MoveToOuterDisposeScope()).ToArray(), terms);
    }

    // Per-sample distances of the chosen terms at v. With NonFiniteSamples.Skip, samples with a non-finite distance in
    // any term are dropped (v becomes the finite rows) and the terms are evaluated again on those rows with the same
    // group elements, so neither the value nor the gradient sees the non-finite samples. Returns the number dropped.
    private long EvaluateTerms(ref Tensor v, ref Tensor? modelOutput, int[] finite, int[] infinitesimal, Dictionary<int, Tensor> perTerm, bool check)
    {
        bool skip = Options.NonFiniteSamples == NonFiniteSamples.Skip;
        var symmetries = finite.Select(i => _terms[i].Symmetry).ToArray();
        var kernel = _kernel with { ThrowOnNonFinite = check && !skip };
        GroupElements[] inEl = Array.Empty<GroupElements>();
        try
        {
            if (finite.Length > 0)
            {
                var result = EquivarianceEvaluator.Evaluate(_model, v, symmetries, Dist, _generator, options: kernel, modelOutput: modelOutput);
                for (int k = 0; k < finite.Length; k++) perTerm[finite[k]] = result.Distances[k];
                inEl = result.InputElements.ToArray();
            }
            EvaluateInfinitesimal(v, infinitesimal, perTerm, throwOnNonFinite: check && !skip);
            if (!skip) return 0;

            long n = v.size(0);
            var ok = Enumerable.Repeat(true, (int)n).ToArray();
            using (no_grad())
                foreach (var (i, d) in perTerm)
                {
                    if (d.Rank() == 0)
                    {
                        if (!d.all_finite()) throw new InvalidOperationException($"Term '{_terms[i].Name}': the distance reduces over samples and is non-finite, so no sample can be skipped.");
                        continue;
                    }
                    using var flags = d.isfinite();
                    using var asLong = flags.to(ScalarType.Int64);
                    var values = asLong.data<long>().ToArray();
                    for (int r = 0; r < n; r++) ok[r] &= values[r] != 0;
                }
            var keep = Enumerable.Range(0, (int)n).Where(r => ok[r]).Select(r => (long)r).ToArray();
            if (keep.Length == n) return 0;
            if (keep.Length == 0) throw new InvalidOperationException($"Every one of the {n} samples gave NaN or infinite values; there is nothing left to evaluate.");

            var index = tensor(keep).OnDevice(v.device);
            v = v.index_select(0, index);
            if (modelOutput is not null) modelOutput = modelOutput.index_select(0, index);
            perTerm.Clear();
            var keptIn = inEl.Select(e => SelectSamples(e, index)).ToArray();
            try
            {
                if (finite.Length > 0)
                {
                    var result = EquivarianceEvaluator.Evaluate(_model, v, symmetries, Dist, _generator, keptIn, _kernel, modelOutput);
                    for (int k = 0; k < finite.Length; k++) perTerm[finite[k]] = result.Distances[k];
                }
                EvaluateInfinitesimal(v, infinitesimal, perTerm, throwOnNonFinite: true);
            }
            finally
            {
                foreach (var e in keptIn) e.Dispose();
            }
            return n - keep.Length;
        }
        finally
        {
            foreach (var e in inEl) e.Dispose();
        }
    }

    private void EvaluateInfinitesimal(Tensor v, int[] infinitesimal, Dictionary<int, Tensor> perTerm, bool throwOnNonFinite)
    {
        foreach (int i in infinitesimal)
        {
            var t = _terms[i];
            var lie = InfinitesimalEvaluator.LieDerivative(_model, v, t.Symmetry, _kernel.NormLayers, throwOnNonFinite);
            perTerm[i] = InfinitesimalEvaluator.SquaredNormPerSample(lie);
        }
    }

    private static GroupElements SelectSamples(GroupElements elements, Tensor index) =>
        new(elements.Group, elements.Values.index_select(0, index.OnDevice(elements.Values.device)), null, elements.Parts.Select(p => SelectSamples(p, index)).ToList());

    private void CheckPoints(Tensor points, bool checkValues)
    {
        if (points.IsInvalid)
            throw new ArgumentException("The points tensor has been disposed (or left its dispose scope); pass a live tensor.", nameof(points));
        var s = points.shape;
        if (s.Length != Shape.Length + 1 || !s.AsSpan(1).SequenceEqual(Shape))
            throw new ArgumentException(
                $"Points must have shape (batch, {string.Join(", ", Shape)}), got [{string.Join(", ", s)}].", nameof(points));
        if (s[0] < 1) throw new ArgumentException("Points hold no samples.", nameof(points));
        if (checkValues && points.dtype.IsFloatingPoint())
            using (no_grad())
                if (!points.all_finite())
                    throw new ArgumentException("Points contain NaN or infinite values; the model cannot be evaluated there.", nameof(points));
    }

    private static void CheckModelOutput(Tensor points, Tensor modelOutput)
    {
        if (modelOutput.IsInvalid)
            throw new ArgumentException("modelOutput has been disposed (or left its dispose scope); pass the live output of model.call(points).", nameof(modelOutput));
        if (modelOutput.Rank() == 0 || modelOutput.size(0) != points.size(0))
            throw new ArgumentException(
                $"modelOutput must be the model's output on the {points.size(0)} points you pass (one row per point), got shape [{string.Join(", ", modelOutput.shape)}]. " +
                "Pass the output of model.call(points) for the same batch.", nameof(modelOutput));
    }

    private static void CheckNonNegative(Tensor d, EquivarianceTerm term)
    {
        using var _ = no_grad();
        using var negative = d.lt(0).any();
        if (negative.item<bool>())
            throw new InvalidOperationException(
                $"The distance for term '{term.Name}' returned negative values; a distance must be ≥ 0 (a negative one would make max(0, error − ε) hide the error). " +
                "Check the delegate given as dist.");
    }

    // What one call leaves for LastTerms: the chosen terms' per-sample distances and penalties, detached and kept on the
    // device until read (reading copies them) or replaced by the next call.
    private sealed class LastCall : IDisposable
    {
        private readonly int[] _chosen;
        private readonly Tensor[] _distances;
        private readonly Tensor[] _penalties;
        private readonly long _count;
        private readonly long _skipped;
        private IReadOnlyList<TermEstimate>? _read;

        public LastCall(int[] chosen, Tensor[] distances, Tensor[] penalties, long count, long skipped)
        {
            _chosen = chosen;
            _distances = distances.Select(d => d.detach().DetachFromDisposeScope()).ToArray();
            _penalties = penalties.Select(p => p.detach().DetachFromDisposeScope()).ToArray();
            _count = count;
            _skipped = skipped;
        }

        public IReadOnlyList<TermEstimate> Read(EquivarianceError owner)
        {
            lock (this)
            {
                if (_read is not null) return _read;
                var terms = new List<TermEstimate>();
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                for (int k = 0; k < _chosen.Length; k++)
                {
                    var d = _distances[k];
                    double error = d.Rank() == 0 ? d.ToDouble() : d.mean().ToDouble();
                    double se = d.Rank() > 0 && _count > 1 ? SampleStatistics.MeanAndStandardErrorOf(d).standardError : double.NaN;
                    var term = owner._terms[_chosen[k]];
                    terms.Add(new TermEstimate(term.Name, _chosen[k], error, se, _penalties[k].ToDouble(), _count) { SkippedSamples = _skipped });
                }
                _read = terms;
                return terms;
            }
        }

        public void Dispose()
        {
            foreach (var d in _distances) d.Dispose();
            foreach (var p in _penalties) p.Dispose();
        }
    }
}
