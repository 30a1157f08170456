using EquivarianceRegularizer.Kernels;

namespace EquivarianceRegularizer;

// The evaluation of the chosen terms (finite by the shared kernel, infinitesimal by the Lie-derivative kernel), split
// from EquivarianceError.cs by concern.
public sealed partial class EquivarianceError
{
    // Per-sample distances of the chosen terms at v. With NonFiniteSamples.Skip, samples with a non-finite distance in
    // any term are dropped (v becomes the finite rows) and the terms are evaluated again on those rows with the same
    // group elements, so neither the value nor the gradient sees the non-finite samples. Returns the number dropped.
    private long EvaluateTerms(ref Tensor v, int[] finite, int[] infinitesimal, Dictionary<int, Tensor> perTerm)
    {
        bool skip = Options.NonFiniteSamples == NonFiniteSamples.Skip;
        var symmetries = finite.Select(i => _terms[i].Symmetry).ToArray();
        GroupElements[] inEl = Array.Empty<GroupElements>();
        try
        {
            if (finite.Length > 0)
            {
                var result = EquivarianceKernel.Evaluate(_model, v, symmetries, Dist, _generator, options: skip ? _kernel with { ThrowOnNonFinite = false } : _kernel);
                for (int k = 0; k < finite.Length; k++) perTerm[finite[k]] = result.Distances[k];
                inEl = result.InputElements.ToArray();
            }
            EvaluateInfinitesimal(v, infinitesimal, perTerm, throwOnNonFinite: !skip);
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

            var index = tensor(keep);
            v = v.index_select(0, index);
            perTerm.Clear();
            var keptIn = inEl.Select(e => SelectSamples(e, index)).ToArray();
            try
            {
                if (finite.Length > 0)
                {
                    var result = EquivarianceKernel.Evaluate(_model, v, symmetries, Dist, _generator, keptIn, _kernel);
                    for (int k = 0; k < finite.Length; k++) perTerm[finite[k]] = result.Distances[k];
                }
                EvaluateInfinitesimal(v, infinitesimal, perTerm);
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

    private void EvaluateInfinitesimal(Tensor v, int[] infinitesimal, Dictionary<int, Tensor> perTerm, bool throwOnNonFinite = true)
    {
        foreach (int i in infinitesimal)
        {
            var t = _terms[i];
            var lie = InfinitesimalKernel.LieDerivative(_model, v, t.Symmetry, _kernel.NormLayers, throwOnNonFinite);
            perTerm[i] = InfinitesimalKernel.SquaredNormPerSample(lie);
        }
    }

    private static GroupElements SelectSamples(GroupElements elements, Tensor index) =>
        new(elements.Group, elements.Values.index_select(0, index), null, elements.Parts.Select(p => SelectSamples(p, index)).ToList());
}
