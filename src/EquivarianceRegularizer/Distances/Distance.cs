using System.Globalization;

namespace EquivarianceRegularizer.Distances;

/// <summary>
/// A distance between two batches of model outputs, measured per sample: <see cref="PerSample"/> maps two tensors
/// of shape (batch, …) to a tensor of shape (batch) — or, for a user delegate that only reduces, to a scalar.
/// Named explicitly (<see cref="L2"/>, <see cref="Lp"/>, <see cref="Inf"/>, <see cref="CrossEntropy"/>, <see cref="CrossEntropyLogits"/>,
/// <see cref="FromDelegate"/>); <see cref="Parse"/> reads the names the CLI and the reference package use.
/// </summary>
public sealed class Distance
{
    private readonly Func<Tensor, Tensor, Tensor> _perSample;
    private readonly Func<Tensor, Tensor> _norm;

    private Distance(string name, Func<Tensor, Tensor, Tensor> perSample, Func<Tensor, Tensor> norm, bool isPerSample)
    {
        Name = name;
        _perSample = perSample;
        _norm = norm;
        IsPerSample = isPerSample;
    }

    /// <summary>Name for reports ("l2", "linf", "cross_entropy", …).</summary>
    public string Name { get; }

    /// <summary>
    /// Whether <see cref="PerSample"/> is known to return one value per sample. A user delegate may return a scalar;
    /// then the Monte Carlo standard error is unknown (NaN).
    /// </summary>
    public bool IsPerSample { get; }

    /// <summary>The lp distance per sample over the flattened sample, p ≥ 1 (p may be +∞).</summary>
    public static Distance Lp(double p)
    {
        if (double.IsNaN(p) || p < 1)
            throw new ArgumentOutOfRangeException(nameof(p), p, "An lp distance needs p ≥ 1 (or +∞); p < 1 is not a metric.");
        string name = double.IsPositiveInfinity(p) ? "linf" : "l" + p.ToString(CultureInfo.InvariantCulture);
        return new Distance(name, (a, b) => { using var d = a - b; return RowNorm(d, p); }, a => RowNorm(a, p), true);
    }

    /// <summary>The l∞ distance per sample (largest absolute difference).</summary>
    public static Distance Inf { get; } = Lp(double.PositiveInfinity);

    /// <summary>The l2 distance per sample (the default).</summary>
    public static Distance L2 { get; } = Lp(2);

    /// <summary>For models ending in softmax: the l2 distance between the logs of both outputs.</summary>
    public static Distance CrossEntropy { get; } = new("cross_entropy", (a, b) =>
    {
        using var scope = NewDisposeScope();
        return RowNorm(a.log() - b.log(), 2).MoveToOuterDisposeScope();
    }, a => { using var l = a.log(); return RowNorm(l, 2); }, true);

    /// <summary>For models outputting logits: the l2 distance between log_softmax of both outputs over the last axis.</summary>
    public static Distance CrossEntropyLogits { get; } = new("cross_entropy_logits", (a, b) =>
    {
        using var scope = NewDisposeScope();
        return RowNorm(a.log_softmax(-1) - b.log_softmax(-1), 2).MoveToOuterDisposeScope();
    }, a => { using var l = a.log_softmax(-1); return RowNorm(l, 2); }, true);

    /// <summary>
    /// A user distance: takes (f_out(model(v)), model(f_in(v))) and returns a scalar or a per-sample tensor of shape
    /// (batch); per-sample values are averaged by the caller.
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

    /// <summary>Parses "inf", "cross_entropy", "cross_entropy_logits" or a number p.</summary>
    public static Distance Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "inf" or "linf" or "infinity" => Inf,
            "cross_entropy" => CrossEntropy,
            "cross_entropy_logits" => CrossEntropyLogits,
            var s when double.TryParse(s.TrimStart('l'), NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => Lp(p),
            _ => throw new ArgumentException(
                $"Unknown distance '{name}': use a number p ≥ 1, \"inf\", \"cross_entropy\", \"cross_entropy_logits\" or a delegate.", nameof(name)),
        };
    }

    /// <summary>A user distance (see <see cref="FromDelegate"/>).</summary>
    public static implicit operator Distance(Func<Tensor, Tensor, Tensor> distance) => FromDelegate(distance);

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

    private static Tensor RowNorm(Tensor d, double p)
    {
        using var flat = d.Rank() <= 1 ? d.reshape(d.Rank() == 0 ? 1 : d.size(0), 1) : d.flatten(1);
        return linalg.vector_norm(flat, p, new long[] { 1 });
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
