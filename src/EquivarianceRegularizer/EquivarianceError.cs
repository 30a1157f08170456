using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Sampling;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer;

/// <summary>
/// The training-time equivariance regularizer: a module whose call returns the differentiable scalar
/// Σ over chosen terms of λ·max(0, error − ε), error = mean over samples of dist(f_out(model(v)), model(f_in(v))).
/// <code>
/// var reg = new EquivarianceError(model, [1, 28, 28], [(Transform.Identity, Transform.RotationByQuarterTurns(), 0.0, 0.3)],
///                                 dist: "cross_entropy_logits");
/// var logits = model.call(x);
/// var loss = criterion.call(logits, y) + reg.call(x, logits);   // the batch runs once, plus once per transformed copy
/// </code>
/// Called with no argument it draws n points inside the bounds; with a tensor it evaluates at those points (n is
/// left unchanged); with the points and the model's output on them (<see cref="call(Tensor, Tensor)"/>) it reuses that
/// output instead of running the model on the points again. Each call chooses numFuncs terms without replacement
/// (weighted by <see cref="EquivarianceTerm.Weight"/>) and draws one group element per sample and term, shared between
/// f_in and f_out of one group. A call reads nothing back from the model's device: statistics and finite checks belong
/// to <see cref="Estimate"/> (and to <see cref="LastTerms"/>, computed when read). Threads may share one regularizer
/// (its norm-layer guard and draws are thread-safe); its draws then interleave between threads.
/// </summary>
public sealed partial class EquivarianceError : torch.nn.Module<Tensor?, Tensor>
{
    private readonly TensorModel _model;
    private readonly EquivarianceTerm[] _terms;
    private readonly Generator _generator;
    private readonly bool _ownsGenerator;
    private readonly EvaluationOptions _kernel;
    private LastCall? _last;
    private readonly object _lastLock = new();

    /// <summary>Creates the regularizer (the reference package's argument order).</summary>
    /// <param name="model">The model (not owned; not registered as a child, so disposing the regularizer leaves it alone).</param>
    /// <param name="shape">Shape of one input sample, without the batch axis.</param>
    /// <param name="transforms">The terms: <see cref="EquivarianceTerm"/>s, or the reference package's tuples — output first —
    /// (f, ε, λ) and (f_out, f_in, ε, λ), which convert implicitly.</param>
    /// <param name="dist">A <see cref="Distance"/>, or the reference package's spellings: an integer or real p, "inf",
    /// "cross_entropy", "cross_entropy_logits", or a delegate; default the l2 distance.</param>
    /// <param name="n">Points per sampled call.</param>
    /// <param name="numFuncs">Terms used per call (all when ≥ their count).</param>
    /// <param name="bounds">The integration box; default [0, 1] per element.</param>
    /// <param name="options">Seed, sampler, relative error, per-sample hinge, evaluation settings.</param>
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
        _kernel = Options.Relative ? Options.Evaluation with { Relative = true } : Options.Evaluation;
        // Without a seed or generator of its own the regularizer draws from TorchSharp's default generator, so that
        // torch.manual_seed(s) makes a whole training run (model init, batches, regularizer draws) reproducible.
        if (Options.Generator is { } given)
        {
            if (given.Handle == IntPtr.Zero)
                throw new ArgumentException("options.Generator has been disposed; pass a live Generator or a Seed.", nameof(options));
            _generator = given;
        }
        else if (Options.Seed is { } seed) { _generator = new Generator(seed); _ownsGenerator = true; }
        else _generator = Generator.Default;
    }

    /// <summary>(f, ε, λ) tuples of transforms, e.g. <c>new[] { (rot, 0.0, 1.0) }</c>: f acts on inputs and outputs with one shared draw.</summary>
    /// <inheritdoc cref="EquivarianceError(TensorModel, long[], IEnumerable{EquivarianceTerm}, Distance?, int, int, Bounds?, EquivarianceErrorOptions?)"/>
    public EquivarianceError(TensorModel model, long[] shape, IEnumerable<(IGroupTransform f, double epsilon, double lambda)> transforms, Distance? dist = null,
        int n = 1, int numFuncs = 1, Bounds? bounds = null, EquivarianceErrorOptions? options = null)
        : this(model, shape, Terms(transforms, t => (EquivarianceTerm)t), dist, n, numFuncs, bounds, options)
    {
    }

    /// <summary>(f_out, f_in, ε, λ) tuples of transforms, output first (the reference package's order).</summary>
    /// <inheritdoc cref="EquivarianceError(TensorModel, long[], IEnumerable{EquivarianceTerm}, Distance?, int, int, Bounds?, EquivarianceErrorOptions?)"/>
    public EquivarianceError(TensorModel model, long[] shape, IEnumerable<(IGroupTransform fOut, IGroupTransform fIn, double epsilon, double lambda)> transforms,
        Distance? dist = null, int n = 1, int numFuncs = 1, Bounds? bounds = null, EquivarianceErrorOptions? options = null)
        : this(model, shape, Terms(transforms, t => (EquivarianceTerm)t), dist, n, numFuncs, bounds, options)
    {
    }

    /// <summary>(f, ε, λ) tuples of plain functions: f acts on inputs and outputs, replaying its random draws for the output.</summary>
    /// <inheritdoc cref="EquivarianceError(TensorModel, long[], IEnumerable{EquivarianceTerm}, Distance?, int, int, Bounds?, EquivarianceErrorOptions?)"/>
    public EquivarianceError(TensorModel model, long[] shape, IEnumerable<(Func<Tensor, Tensor> f, double epsilon, double lambda)> transforms, Distance? dist = null,
        int n = 1, int numFuncs = 1, Bounds? bounds = null, EquivarianceErrorOptions? options = null)
        : this(model, shape, Terms(transforms, t => (EquivarianceTerm)t), dist, n, numFuncs, bounds, options)
    {
    }

    /// <summary>(f_out, f_in, ε, λ) tuples of plain functions, output first, each applied as given.</summary>
    /// <inheritdoc cref="EquivarianceError(TensorModel, long[], IEnumerable{EquivarianceTerm}, Distance?, int, int, Bounds?, EquivarianceErrorOptions?)"/>
    public EquivarianceError(TensorModel model, long[] shape, IEnumerable<(Func<Tensor, Tensor> fOut, Func<Tensor, Tensor> fIn, double epsilon, double lambda)> transforms,
        Distance? dist = null, int n = 1, int numFuncs = 1, Bounds? bounds = null, EquivarianceErrorOptions? options = null)
        : this(model, shape, Terms(transforms, t => (EquivarianceTerm)t), dist, n, numFuncs, bounds, options)
    {
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

    /// <summary>The terms in constructor order; their λ and ε may be changed between calls.</summary>
    public IReadOnlyList<EquivarianceTerm> Transforms => _terms;

    /// <summary>
    /// The estimates of the last call or <see cref="Estimate"/> (null before the first): each chosen term's error,
    /// standard error and penalty. Computed when read, from values the call kept on the device (reading copies them).
    /// </summary>
    public IReadOnlyList<TermEstimate>? LastTerms
    {
        get
        {
            lock (_lastLock) return _last?.Read(this);
        }
    }

#pragma warning disable CA1062 // null points are meaningful (draw n points); Run checks the rest, and the analyzer cannot see through it
    /// <summary>The penalty at n freshly drawn points.</summary>
    public Tensor call() => call(null);

    /// <summary>The penalty at <paramref name="points"/> (batch first), or at n drawn points when null.</summary>
    public override Tensor forward(Tensor? points) => Run(points, null, withStatistics: false).Penalty;

    /// <summary>
    /// The penalty at <paramref name="points"/> reusing <paramref name="modelOutput"/> = model(points), e.g. the logits
    /// the training loss already computed: the model then runs only on the transformed copies. Gradients flow through
    /// <paramref name="modelOutput"/> as through the loss (pass <c>modelOutput.detach()</c> to hold it fixed).
    /// </summary>
    public Tensor call(Tensor points, Tensor modelOutput)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(modelOutput);
        return Run(points, modelOutput, withStatistics: false).Penalty;
    }

    /// <summary>Draws n points inside the bounds (in the model's dtype, on its device) with the configured sampler.</summary>
    public Tensor SamplePoints() =>
        PointSampling.Sample(Options.Sampler, N, Shape, Bounds, _generator, _model.DType).OnDevice(_model.Device);

    /// <summary>Indices of the terms one call would use: numFuncs drawn without replacement, weighted; all when numFuncs ≥ count.</summary>
    public int[] ChooseTerms()
    {
        if (NumFuncs >= _terms.Length) return Enumerable.Range(0, _terms.Length).ToArray();
        using var scope = NewDisposeScope();
        var weights = tensor(_terms.Select(t => t.Weight).ToArray()); // on the CPU with the CPU generator: no device read
        var chosen = multinomial(weights, NumFuncs, replacement: false, _generator).data<long>().ToArray();
        return chosen.Select(i => (int)i).Order().ToArray();
    }

    /// <summary>
    /// The penalty together with each chosen term's raw (unhinged, differentiable) error, its value, Monte Carlo
    /// standard error and penalty. Unlike <see cref="call(Tensor, Tensor)"/> it checks the outputs and distances for
    /// NaN, infinities and negative values, and reads the statistics back to the host. The penalty and errors are owned
    /// by the caller (they join the current dispose scope).
    /// </summary>
    /// <param name="points">The points (batch first), or null to draw n points.</param>
    /// <param name="modelOutput">model(points) when already computed; else computed here.</param>
    public EquivarianceEstimate Estimate(Tensor? points = null, Tensor? modelOutput = null)
    {
        if (modelOutput is not null && points is null)
            throw new ArgumentException("modelOutput is the model's output on the points you pass; pass those points too.", nameof(modelOutput));
        return Run(points, modelOutput, withStatistics: true);
    }
#pragma warning restore CA1062

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

    /// <summary>Releases the generator (the model is not owned) and the values kept for <see cref="LastTerms"/>.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_ownsGenerator) _generator.Dispose();
            _last?.Dispose();
            _last = null;
        }
        base.Dispose(disposing);
    }

    private static EquivarianceTerm[] Terms<T>(IEnumerable<T> tuples, Func<T, EquivarianceTerm> convert)
    {
        ArgumentNullException.ThrowIfNull(tuples, "transforms");
        return tuples.Select(convert).ToArray();
    }
}
