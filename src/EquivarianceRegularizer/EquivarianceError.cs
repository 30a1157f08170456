using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Kernels;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Sampling;

namespace EquivarianceRegularizer;

/// <summary>
/// The training-time equivariance regularizer: a module whose call returns the differentiable scalar
/// Σ over chosen transforms of λ·max(0, error − ε), error = mean over samples of dist(f_out(model(v)), model(f_in(v))).
/// <code>
/// var reg = new EquivarianceError(model, new long[] { 1, 28, 28 }, new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns(), 0, 0.5) },
///                                 dist: Distance.CrossEntropyLogits, n: 64);
/// var loss = criterion.call(model.call(x), y) + reg.call();   // or reg.call(x) on the training batch
/// </code>
/// Called with no argument it draws n points inside the bounds; with a tensor it evaluates at those points (n is
/// left unchanged). Each call chooses numFuncs terms without replacement (weighted by <see cref="EquivarianceTerm.Weight"/>),
/// draws one group element per sample and term (shared between f_in and f_out of the same group), runs model(v) and
/// every model(f_in(v)) in one batched forward without updating norm layers' running statistics, and reuses model(v) for every term.
/// Not thread-safe (one generator).
/// </summary>
public sealed partial class EquivarianceError : torch.nn.Module<Tensor?, Tensor>
{
    private readonly TensorModel _model;
    private readonly EquivarianceTerm[] _terms;
    private readonly Generator _generator;
    private readonly bool _ownsGenerator;
    private readonly KernelOptions _kernel;

    /// <summary>Creates the regularizer (the reference package's argument order).</summary>
    /// <param name="model">The model (not owned; not registered as a child, so disposing the regularizer leaves it alone).</param>
    /// <param name="shape">Shape of one input sample, without the batch axis.</param>
    /// <param name="transforms">The terms: (f, ε, λ) or (f_out, f_in, ε, λ) tuples, or <see cref="EquivarianceTerm"/>s.</param>
    /// <param name="dist">A <see cref="Distance"/> (L2, Lp(p), Inf, CrossEntropy, CrossEntropyLogits, FromDelegate); default L2.</param>
    /// <param name="n">Points per sampled call.</param>
    /// <param name="numFuncs">Terms used per call (all when ≥ their count).</param>
    /// <param name="bounds">The integration box; default [0, 1] per element.</param>
    /// <param name="options">Seed, sampler, relative error, per-sample hinge, kernel settings.</param>
    public EquivarianceError(TensorModel model, long[] shape, IEnumerable<EquivarianceTerm> transforms, Distance? dist = null,
        int n = 1, int numFuncs = 1, Bounds? bounds = null, EquivarianceErrorOptions? options = null) : base(nameof(EquivarianceError))
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(transforms);
        if (shape.Any(s => s < 1))
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] must have positive sizes (and no batch axis).", nameof(shape));
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "n (points per sampled call) must be at least 1.");
        if (numFuncs < 1) throw new ArgumentOutOfRangeException(nameof(numFuncs), numFuncs, "numFuncs must be at least 1.");
        _terms = transforms.ToArray();
        if (_terms.Length == 0) throw new ArgumentException("Needs at least one transform.", nameof(transforms));
        if (_terms.Any(t => t is null)) throw new ArgumentException("A transform entry is null.", nameof(transforms));
        _model = model;
        Shape = (long[])shape.Clone();
        Dist = dist ?? Distance.L2;
        N = n;
        NumFuncs = numFuncs;
        Bounds = bounds ?? Bounds.UnitCube;
        try
        {
            Bounds.Validate(Shape);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message, nameof(bounds), e);
        }
        Options = options ?? new EquivarianceErrorOptions();
        _kernel = Options.Relative ? Options.Kernel with { Relative = true } : Options.Kernel;
        // Without a seed or generator of its own the regularizer draws from TorchSharp's default generator, so that
        // torch.manual_seed(s) makes a whole training run (model init, batches, regularizer draws) reproducible.
        if (Options.Generator is { } given) _generator = given;
        else if (Options.Seed is { } seed) { _generator = new Generator(seed); _ownsGenerator = true; }
        else _generator = Generator.Default;
    }

    /// <summary>Input shape without the batch axis.</summary>
    public long[] Shape { get; }

    /// <summary>The distance.</summary>
    public Distance Dist { get; }

    /// <summary>Points per sampled call (never changed by calls with data).</summary>
    public int N { get; }

    /// <summary>Terms per call.</summary>
    public int NumFuncs { get; }

    /// <summary>The integration box.</summary>
    public Bounds Bounds { get; }

    /// <summary>The extra settings.</summary>
    public EquivarianceErrorOptions Options { get; }

    /// <summary>The terms in constructor order.</summary>
    public IReadOnlyList<EquivarianceTerm> Transforms => _terms;

    /// <summary>The estimates of the last call (null before the first).</summary>
    public IReadOnlyList<TermEstimate>? LastTerms { get; private set; }

    /// <summary>The penalty at n freshly drawn points.</summary>
    public Tensor call() => call(null);

    /// <summary>The penalty at <paramref name="points"/> (batch first), or at n drawn points when null.</summary>
    public override Tensor forward(Tensor? points)
    {
        var estimate = Estimate(points);
        return estimate.Penalty;
    }

    /// <summary>Draws n points inside the bounds (in the model's dtype, on its device) with the configured sampler.</summary>
    public Tensor SamplePoints() =>
        PointSampling.Sample(Options.Sampler, N, Shape, Bounds, _generator, EquivarianceKernel.ModelDtype(_model)).OnDevice(_model.Device);

    /// <summary>Indices of the terms one call would use: numFuncs drawn without replacement, weighted; all when numFuncs ≥ count.</summary>
    public int[] ChooseTerms()
    {
        if (NumFuncs >= _terms.Length) return Enumerable.Range(0, _terms.Length).ToArray();
        using var scope = NewDisposeScope();
        var weights = tensor(_terms.Select(t => t.Weight).ToArray());
        var chosen = multinomial(weights, NumFuncs, replacement: false, _generator).data<long>().ToArray();
        return chosen.Select(i => (int)i).Order().ToArray();
    }

    /// <summary>
    /// The penalty together with each chosen term's error and Monte Carlo standard error. The penalty is owned by the
    /// caller (it joins the current dispose scope).
    /// </summary>
    public EquivarianceEstimate Estimate(Tensor? points = null)
    {
        var chosen = ChooseTerms();
        using var scope = NewDisposeScope();
        var v = points ?? SamplePoints();
        CheckPoints(v);
        var finite = chosen.Where(i => !_terms[i].Infinitesimal).ToArray();
        var infinitesimal = chosen.Where(i => _terms[i].Infinitesimal).ToArray();
        var perTerm = new Dictionary<int, Tensor>();
        long skipped = EvaluateTerms(ref v, finite, infinitesimal, perTerm);

        Tensor total = zeros(Array.Empty<long>(), EquivarianceKernel.ModelDtype(_model));
        var terms = new List<TermEstimate>();
        foreach (int i in chosen)
        {
            var t = _terms[i];
            var d = perTerm[i];
            Tensor error = d.Rank() == 0 ? d : d.mean();
            Tensor penalty = Options.PerSampleHinge && d.Rank() > 0
                ? (d - t.Epsilon).relu().mean() * t.Lambda
                : (error - t.Epsilon).relu() * t.Lambda;
            total = total + penalty;
            long count = v.size(0);
            double se = double.NaN;
            if (d.Rank() > 0 && count > 1)
                se = SampleStatistics.MeanAndStandardErrorOf(d).standardError;
            double errorValue, penaltyValue;
            using (no_grad()) { errorValue = error.ToDouble(); penaltyValue = penalty.ToDouble(); }
            terms.Add(new TermEstimate(t.Name, i, errorValue, se, penaltyValue, count) { SkippedSamples = skipped });
        }
        LastTerms = terms;
        return new EquivarianceEstimate(total.MoveToOuterDisposeScope(), terms);
    }

    /// <summary>
    /// A regularizer-only training step (the reference's advice for memory: alternate a standard step with this one):
    /// <paramref name="zeroGrad"/>, backpropagate only the penalty, <paramref name="step"/>. Returns the penalty's value.
    /// </summary>
    public double StepRegularizerOnly(Action zeroGrad, Action step, Tensor? points = null)
    {
        ArgumentNullException.ThrowIfNull(zeroGrad);
        ArgumentNullException.ThrowIfNull(step);
        zeroGrad();
        double value;
        using (var scope = NewDisposeScope())
        {
            var penalty = call(points);
            value = penalty.ToDouble();
            if (penalty.requires_grad) penalty.backward();
        }
        step();
        return value;
    }

    /// <summary>A regularizer-only step with <paramref name="optimizer"/> (zero_grad, backward of the penalty, step).</summary>
    public double StepRegularizerOnly(optim.Optimizer optimizer, Tensor? points = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return StepRegularizerOnly(() => optimizer.zero_grad(), () => optimizer.step(), points);
    }

    private void CheckPoints(Tensor points)
    {
        var s = points.shape;
        if (s.Length != Shape.Length + 1 || !s.AsSpan(1).SequenceEqual(Shape))
            throw new ArgumentException(
                $"Points must have shape (batch, {string.Join(", ", Shape)}), got [{string.Join(", ", s)}].", nameof(points));
        if (s[0] < 1) throw new ArgumentException("Points hold no samples.", nameof(points));
        if (points.dtype.IsFloatingPoint())
            using (no_grad())
                if (!points.all_finite())
                    throw new ArgumentException("Points contain NaN or infinite values; the model cannot be evaluated there.", nameof(points));
    }

    /// <summary>Releases the generator (the model is not owned).</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsGenerator) _generator.Dispose();
        base.Dispose(disposing);
    }
}
