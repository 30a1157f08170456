using System.Globalization;

namespace EquivarianceRegularizer.Distances;

/// <summary>
/// A distance between two batches of model outputs, measured per sample: <see cref="PerSample"/> maps two tensors
/// of shape (batch, …) to a tensor of shape (batch) — or, for a user delegate that only reduces, to a scalar.
/// Named explicitly (<see cref="L2"/>, <see cref="Lp"/>, <see cref="Inf"/>, <see cref="CrossEntropy"/>,
/// <see cref="CrossEntropyLogits"/>, <see cref="KLDivergence"/>, <see cref="JensenShannon"/>, <see cref="FromDelegate"/>);
/// the reference package's spellings convert implicitly: an integer or real p (<c>dist: 2</c>), <c>"inf"</c>,
/// <c>"cross_entropy"</c>, <c>"cross_entropy_logits"</c>, or a delegate <c>(Tensor a, Tensor b) =&gt; …</c>.
/// The first argument is always f_out(model(v)) (the untransformed branch), the second model(f_in(v)).
/// </summary>
public sealed class Distance
{
    private readonly Func<Tensor, Tensor, Tensor> _perSample;
    private readonly Func<Tensor, Tensor> _norm;
    private readonly Func<long?, Distance>? _withClassDim;

    private Distance(string name, Func<Tensor, Tensor, Tensor> perSample, Func<Tensor, Tensor> norm, bool isPerSample,
        Func<long?, Distance>? withClassDim = null, long? classDim = null)
    {
        Name = name;
        _perSample = perSample;
        _norm = norm;
        IsPerSample = isPerSample;
        _withClassDim = withClassDim;
        ClassDim = classDim;
    }

    /// <summary>Name for reports ("l2", "linf", "cross_entropy", "kl", …).</summary>
    public string Name { get; }

    /// <summary>
    /// Whether <see cref="PerSample"/> is known to return one value per sample. A user delegate may return a scalar;
    /// then the Monte Carlo standard error is unknown (NaN).
    /// </summary>
    public bool IsPerSample { get; }

    /// <summary>
    /// For the distances between class distributions (cross-entropy forms, KL, Jensen–Shannon): the class axis of the
    /// outputs, or null when it is read from the shape (rank 1 or 2: the last axis; higher ranks must say which).
    /// Null for the other distances.
    /// </summary>
    public long? ClassDim { get; }

    /// <summary>Whether this distance compares class distributions along a class axis (see <see cref="WithClassDim"/>).</summary>
    public bool HasClassDim => _withClassDim is not null;

    /// <summary>
    /// The lp distance per sample over the flattened sample, p ≥ 1 (p may be +∞). With
    /// <paramref name="perElementMean"/> the power mean (mean over the m elements of |a − b|^p)^(1/p) = ‖a − b‖_p / m^(1/p),
    /// which does not grow with the output's size (dense outputs such as N×C×H×W maps); for p = ∞ both are the same.
    /// </summary>
    public static Distance Lp(double p, bool perElementMean = false)
    {
        if (double.IsNaN(p) || p < 1)
            throw new ArgumentOutOfRangeException(nameof(p), p, "An lp distance needs p ≥ 1 (or +∞); p < 1 is not a metric.");
        string name = (double.IsPositiveInfinity(p) ? "linf" : "l" + p.ToString(CultureInfo.InvariantCulture)) + (perElementMean ? "_mean" : string.Empty);
        return new Distance(name,
            (a, b) => { using var d = a - b; return RowNorm(d, p, perElementMean); },
            a => RowNorm(a, p, perElementMean), true);
    }

    /// <summary>The l∞ distance per sample (largest absolute difference).</summary>
    public static Distance Inf { get; } = Lp(double.PositiveInfinity);

    /// <summary>The l2 distance per sample (the default).</summary>
    public static Distance L2 { get; } = Lp(2);

    /// <summary>
    /// For models ending in softmax: the l2 distance between the logs of both outputs (over the class axis and every
    /// other axis of a sample). The class axis only matters through <see cref="WithClassDim"/>'s validation here.
    /// </summary>
    public static Distance CrossEntropy { get; } = CrossEntropyWith(null);

    /// <summary>
    /// For models outputting logits: the l2 distance between log_softmax of both outputs along the class axis (the last
    /// axis for (batch, classes) logits; for dense logits such as N×C×H×W say <c>.WithClassDim(1)</c>: a rank above 2
    /// without a class axis is an error, not a guess).
    /// </summary>
    public static Distance CrossEntropyLogits { get; } = CrossEntropyLogitsWith(null);

    /// <summary>
    /// KL(p_a ‖ p_b) between the softmax distributions of two logit tensors along the class axis: summed over classes,
    /// averaged over any further positions of a sample (pixels of dense logits). With <paramref name="fixedTarget"/>
    /// (default) the first argument, f_out(model(v)), is a fixed target: no gradient flows through it, as in
    /// consistency training (the model is pulled towards its prediction on the untransformed input).
    /// </summary>
    public static Distance KLDivergence(long? classDim = null, bool fixedTarget = true) =>
        new(fixedTarget ? "kl" : "kl_both",
            (a, b) => PerPosition(a, b, classDim, fixedTarget, "kl", KlAlong),
            a => { using var z = zeros_like(a); return PerPosition(a, z, classDim, fixedTarget, "kl", KlAlong); },
            true, d => KLDivergence(d, fixedTarget), classDim);

    /// <summary>
    /// The Jensen–Shannon divergence ½KL(p_a ‖ m) + ½KL(p_b ‖ m), m = ½(p_a + p_b), between the softmax distributions of
    /// two logit tensors along the class axis (symmetric, bounded by ln 2): summed over classes, averaged over further
    /// positions. <paramref name="fixedTarget"/> stops the gradient through the first argument, f_out(model(v)).
    /// </summary>
    public static Distance JensenShannon(long? classDim = null, bool fixedTarget = false) =>
        new(fixedTarget ? "js_fixed" : "js",
            (a, b) => PerPosition(a, b, classDim, fixedTarget, "js", JsAlong),
            a => { using var z = zeros_like(a); return PerPosition(a, z, classDim, fixedTarget, "js", JsAlong); },
            true, d => JensenShannon(d, fixedTarget), classDim);

    /// <summary>
    /// This distance along class axis <paramref name="dim"/> (negative counts from the end; 1 for N×C×H×W logits).
    /// Only the distances between class distributions have a class axis.
    /// </summary>
    /// <exception cref="InvalidOperationException">This distance has no class axis (an lp distance or a delegate).</exception>
    public Distance WithClassDim(long dim) =>
        _withClassDim is { } make ? make(dim)
            : throw new InvalidOperationException($"Distance {Name} has no class axis; WithClassDim applies to cross_entropy, cross_entropy_logits, kl and js.");

    /// <summary>
    /// A user distance: takes (f_out(model(v)), model(f_in(v))) and returns a scalar or a per-sample tensor of shape
    /// (batch); per-sample values are averaged by the caller. Distances are never negative: <see cref="EquivarianceError.Estimate"/>
    /// and the audit refuse negative values.
    /// </summary>
    public static Distance FromDelegate(Func<Tensor, Tensor, Tensor> distance, string name = "custom")
    {
        ArgumentNullException.ThrowIfNull(distance);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new Distance(name, distance, a =>
        {
            using var zero = zeros_like(a);
            return distance(a, zero);
        }, false);
    }

    /// <summary>Parses "inf", "cross_entropy", "cross_entropy_logits", "kl", "js" or a number p (also "l2", "l1.5").</summary>
    public static Distance Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "inf" or "linf" or "infinity" => Inf,
            "cross_entropy" => CrossEntropy,
            "cross_entropy_logits" => CrossEntropyLogits,
            "kl" => KLDivergence(),
            "js" => JensenShannon(),
            var s when double.TryParse(s.TrimStart('l'), NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => Lp(p),
            _ => throw new ArgumentException(
                $"Unknown distance '{name}': use a number p ≥ 1, \"inf\", \"cross_entropy\", \"cross_entropy_logits\", \"kl\", \"js\" or a delegate.", nameof(name)),
        };
    }

    /// <summary>A user distance (see <see cref="FromDelegate"/>).</summary>
    public static implicit operator Distance(Func<Tensor, Tensor, Tensor> distance) => FromDelegate(distance);

    /// <summary>The lp distance for p (the reference package's <c>dist=2</c>).</summary>
    public static implicit operator Distance(double p) => Lp(p);

    /// <summary>A named distance (the reference package's <c>dist="inf"</c>, <c>"cross_entropy"</c>, <c>"cross_entropy_logits"</c>).</summary>
    public static implicit operator Distance(string name) => Parse(name);

    /// <summary>
    /// The distance between <paramref name="a"/> and <paramref name="b"/> (same shape, first axis the batch):
    /// a tensor of shape (batch), or a scalar when a user delegate reduces. Shapes are checked first.
    /// </summary>
    public Tensor PerSample(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var sa = a.shape;
        var sb = b.shape;
        if (!sa.AsSpan().SequenceEqual(sb))
            throw new ArgumentException($"Distance {Name}: the tensors have different shapes [{string.Join(", ", sa)}] and [{string.Join(", ", sb)}].", nameof(b));
        var d = _perSample(a, b);
        CheckResult(d, sa.Length == 0 ? 1 : sa[0]);
        return d;
    }

    /// <summary>Per-sample size of <paramref name="a"/> in this distance's units (its distance to the origin, after the log for cross-entropy forms); used for relative errors.</summary>
    public Tensor Norm(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var d = _norm(a);
        CheckResult(d, a.Rank() == 0 ? 1 : a.size(0));
        return d;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static Distance CrossEntropyWith(long? classDim) =>
        new("cross_entropy", (a, b) =>
        {
            if (classDim is not null) ResolveClassDim(a, classDim, "cross_entropy"); // the axis does not change this distance
            using var scope = NewDisposeScope();
            return RowNorm(a.log() - b.log(), 2, false).MoveToOuterDisposeScope();
        }, a => { using var l = a.log(); return RowNorm(l, 2, false); }, true, CrossEntropyWith, classDim);

    private static Distance CrossEntropyLogitsWith(long? classDim) =>
        new("cross_entropy_logits", (a, b) =>
        {
            long dim = ResolveClassDim(a, classDim, "cross_entropy_logits");
            using var scope = NewDisposeScope();
            return RowNorm(a.log_softmax(dim) - b.log_softmax(dim), 2, false).MoveToOuterDisposeScope();
        }, a =>
        {
            long dim = ResolveClassDim(a, classDim, "cross_entropy_logits");
            using var l = a.log_softmax(dim);
            return RowNorm(l, 2, false);
        }, true, CrossEntropyLogitsWith, classDim);

    // The class axis of a (batch-first) output: the given one, else the last axis for rank ≤ 2; a higher rank without
    // a class axis is ambiguous (N×C×H×W logits have theirs at 1, N×H×W×C at −1).
    private static long ResolveClassDim(Tensor a, long? classDim, string name)
    {
        long rank = a.Rank();
        if (classDim is { } given)
        {
            long dim = given < 0 ? given + rank : given;
            if (dim < 1 || dim >= rank)
                throw new ArgumentException(
                    $"Distance {name}: class axis {given} does not fit outputs of shape [{string.Join(", ", a.shape)}]; it must be an axis after the batch axis (1 … {rank - 1}, or negative from the end).");
            return dim;
        }
        if (rank <= 2) return rank - 1;
        throw new ArgumentException(
            $"Distance {name}: outputs of shape [{string.Join(", ", a.shape)}] have more than one axis after the batch, so the class axis is ambiguous. " +
            $"Say which: Distance.{(name == "cross_entropy" ? "CrossEntropy" : name == "cross_entropy_logits" ? "CrossEntropyLogits" : name == "kl" ? "KLDivergence()" : "JensenShannon()")}.WithClassDim(1) for N×C×H×W logits (PyTorch's convention), WithClassDim(-1) for N×…×C.");
    }

    // log-softmax both along the class axis, a per-position divergence summed over classes, then the mean over the
    // remaining positions of each sample.
    private static Tensor PerPosition(Tensor a, Tensor b, long? classDim, bool fixedTarget, string name, Func<Tensor, Tensor, Tensor> divergenceAlongLastClassDim)
    {
        long dim = ResolveClassDim(a, classDim, name);
        using var scope = NewDisposeScope();
        var target = fixedTarget ? a.detach() : a;
        var la = target.log_softmax(dim).movedim(new[] { dim }, new[] { -1L });
        var lb = b.log_softmax(dim).movedim(new[] { dim }, new[] { -1L });
        var perPosition = divergenceAlongLastClassDim(la, lb); // (batch, positions…)
        var result = perPosition.Rank() == 1 ? perPosition : perPosition.flatten(1).mean(new long[] { 1 });
        return result.MoveToOuterDisposeScope();
    }

    private static Tensor KlAlong(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum(-1);

    private static Tensor JsAlong(Tensor logP, Tensor logQ)
    {
        // log m = log(½(p + q)) computed stably as logsumexp of the two log-probabilities minus ln 2.
        var logM = stack(new[] { logP, logQ }).logsumexp(0) - Math.Log(2);
        return 0.5 * (KlAlong(logP, logM) + KlAlong(logQ, logM));
    }

    private void CheckResult(Tensor d, long batch)
    {
        var s = d.shape;
        bool ok = s.Length == 0 || (s.Length == 1 && s[0] == batch);
        if (!ok)
        {
            d.Dispose();
            throw new InvalidOperationException($"Distance {Name} returned shape [{string.Join(", ", s)}]; expected a scalar or ({batch}).");
        }
    }

    private static Tensor RowNorm(Tensor d, double p, bool perElementMean)
    {
        using var flat = d.Rank() <= 1 ? d.reshape(d.Rank() == 0 ? 1 : d.size(0), 1) : d.flatten(1);
        var norm = linalg.vector_norm(flat, p, new long[] { 1 });
        if (!perElementMean || double.IsPositiveInfinity(p)) return norm;
        using (norm) return norm / Math.Pow(flat.size(1), 1.0 / p);
    }
}
