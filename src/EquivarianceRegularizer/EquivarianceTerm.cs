using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer;

/// <summary>
/// One term of the regularizer: a <see cref="EquivarianceRegularizer.Symmetry"/> with its tolerance ε and weight λ, costing
/// λ·max(0, error − ε). The spec's tuples are the short way to write one: (f, ε, λ) when f acts on inputs and outputs
/// alike, (f_out, f_in, ε, λ) otherwise:
/// <code>EquivarianceTerm[] terms = { (new RotationByQuarterTurns(), 0.0, 1.0), (IdentityTransform.Instance, flip, 0.01, 0.5) };</code>
/// </summary>
public sealed record EquivarianceTerm
{
    /// <summary>The term λ·max(0, error − ε) for <paramref name="symmetry"/>.</summary>
    public EquivarianceTerm(Symmetry symmetry, double epsilon = 0, double lambda = 1)
    {
        ArgumentNullException.ThrowIfNull(symmetry);
        if (!double.IsFinite(epsilon) || epsilon < 0)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"ε of transform '{symmetry.Input.Name}' must be finite and ≥ 0.");
        if (!double.IsFinite(lambda) || lambda < 0)
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"λ of transform '{symmetry.Input.Name}' must be finite and ≥ 0.");
        Symmetry = symmetry;
        Epsilon = epsilon;
        Lambda = lambda;
    }

    /// <summary>What must commute: the input action and the output action.</summary>
    public Symmetry Symmetry { get; }

    /// <summary>ε: errors up to ε cost nothing.</summary>
    public double Epsilon { get; }

    /// <summary>λ: the weight of this term.</summary>
    public double Lambda { get; }

    /// <summary>Relative probability of choosing this term when fewer than all are used per call (default 1).</summary>
    public double Weight
    {
        get => _weight;
        init => _weight = double.IsFinite(value) && value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(Weight), value, $"The sampling weight of transform '{Symmetry.Input.Name}' must be finite and > 0.");
    }
    private readonly double _weight = 1;

    /// <summary>
    /// Use the infinitesimal penalty E||L_X f(v)||² (forward-mode jvp along the continuous input action's generator)
    /// instead of the finite error. The input action must be an <see cref="IContinuousTransform"/>; the output action
    /// continuous or trivial.
    /// </summary>
    public bool Infinitesimal
    {
        get => _infinitesimal;
        init
        {
            if (value && Symmetry.Input is not IContinuousTransform)
                throw new ArgumentException($"The infinitesimal penalty needs a continuous input transform; '{Symmetry.Input.Name}' is not one.", nameof(Infinitesimal));
            _infinitesimal = value;
        }
    }
    private readonly bool _infinitesimal;

    /// <summary>Name for reports.</summary>
    public string Name => (Infinitesimal ? "d/dt " : string.Empty) + Symmetry.Name;

    /// <summary>Equivariance with one transform acting on inputs and outputs alike.</summary>
    public static EquivarianceTerm Equivariant(IGroupTransform transform, double epsilon = 0, double lambda = 1) =>
        new(Symmetry.Equivariant(transform), epsilon, lambda);

    /// <summary>Equivariance: <paramref name="input"/> on inputs, <paramref name="output"/> on outputs (the same group).</summary>
    public static EquivarianceTerm Equivariant(IGroupTransform input, IGroupTransform output, double epsilon = 0, double lambda = 1) =>
        new(new Symmetry(input, output), epsilon, lambda);

    /// <summary>Invariance: the outputs should not change under <paramref name="input"/>.</summary>
    public static EquivarianceTerm Invariant(IGroupTransform input, double epsilon = 0, double lambda = 1) => new(Symmetry.Invariant(input), epsilon, lambda);

    /// <summary>The infinitesimal penalty λ·max(0, E||L_X f(v)||² − ε) along a continuous transform (output: invariant unless given).</summary>
    public static EquivarianceTerm Lie(IContinuousTransform input, IGroupTransform? output = null, double epsilon = 0, double lambda = 1) =>
        new(output is null ? Symmetry.Invariant(input) : new Symmetry(input, output), epsilon, lambda) { Infinitesimal = true };

    /// <summary>(f, ε, λ): f acts on inputs and outputs.</summary>
    public static implicit operator EquivarianceTerm((IGroupTransform transform, double epsilon, double lambda) t) => Equivariant(t.transform, t.epsilon, t.lambda);

    /// <summary>(f_out, f_in, ε, λ), in the spec's order.</summary>
    public static implicit operator EquivarianceTerm((IGroupTransform output, IGroupTransform input, double epsilon, double lambda) t) =>
        new(new Symmetry(t.input, t.output), t.epsilon, t.lambda);
}
