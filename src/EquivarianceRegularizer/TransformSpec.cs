using EquivarianceRegularizer.Kernels;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer;

/// <summary>
/// One term of the regularizer: λ·max(0, error − ε) for the pair (f_out, f_in). Build it from a tuple
/// (f, ε, λ) when input and output transform are the same, or (f_out, f_in, ε, λ):
/// <code>TransformSpec[] ts = { (new RotationByQuarterTurns(), 0.0, 1.0), (IdentityTransform.Instance, flip, 0.01, 0.5) };</code>
/// </summary>
public sealed record TransformSpec
{
    /// <summary>A term for f_out = <paramref name="output"/>, f_in = <paramref name="input"/>.</summary>
    public TransformSpec(IGroupTransform output, IGroupTransform input, double epsilon = 0, double lambda = 1)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        if (!double.IsFinite(epsilon) || epsilon < 0)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"ε of transform '{input.Name}' must be finite and ≥ 0.");
        if (!double.IsFinite(lambda) || lambda < 0)
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"λ of transform '{input.Name}' must be finite and ≥ 0.");
        Output = output;
        Input = input;
        Epsilon = epsilon;
        Lambda = lambda;
    }

    /// <summary>f_out, applied to model outputs.</summary>
    public IGroupTransform Output { get; }

    /// <summary>f_in, applied to inputs.</summary>
    public IGroupTransform Input { get; }

    /// <summary>ε: errors up to ε cost nothing.</summary>
    public double Epsilon { get; }

    /// <summary>λ: the weight of this term.</summary>
    public double Lambda { get; }

    /// <summary>Relative probability of choosing this term when fewer than all are used per call (default 1).</summary>
    public double Weight
    {
        get => _weight;
        init => _weight = double.IsFinite(value) && value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(Weight), value, $"The sampling weight of transform '{Input.Name}' must be finite and > 0.");
    }
    private readonly double _weight = 1;

    /// <summary>
    /// Use the infinitesimal penalty E||L_X f(v)||² (forward-mode jvp along the continuous f_in's generator) instead of
    /// the finite error. f_in must be an <see cref="IContinuousTransform"/>; f_out continuous or the identity.
    /// </summary>
    public bool Infinitesimal
    {
        get => _infinitesimal;
        init
        {
            if (value && Input is not IContinuousTransform)
                throw new ArgumentException($"The infinitesimal penalty needs a continuous input transform; '{Input.Name}' is not one.", nameof(Infinitesimal));
            _infinitesimal = value;
        }
    }
    private readonly bool _infinitesimal;

    /// <summary>The kernel's pair.</summary>
    public TransformPair Pair => new(Output, Input);

    /// <summary>Name for reports.</summary>
    public string Name => (Infinitesimal ? "d/dt " : string.Empty) + Pair.Name;

    /// <summary>f_in = f_out = <paramref name="transform"/>.</summary>
    public static TransformSpec Same(IGroupTransform transform, double epsilon = 0, double lambda = 1) => new(transform, transform, epsilon, lambda);

    /// <summary>Invariance: f_out = identity.</summary>
    public static TransformSpec Invariance(IGroupTransform input, double epsilon = 0, double lambda = 1) => new(IdentityTransform.Instance, input, epsilon, lambda);

    /// <summary>The infinitesimal penalty λ·max(0, E||L_X f(v)||² − ε) along a continuous transform (output: identity unless given).</summary>
    public static TransformSpec Lie(IContinuousTransform input, IGroupTransform? output = null, double epsilon = 0, double lambda = 1) =>
        new(output ?? IdentityTransform.Instance, input, epsilon, lambda) { Infinitesimal = true };

    /// <summary>(f, ε, λ): f acts on inputs and outputs.</summary>
    public static implicit operator TransformSpec((IGroupTransform transform, double epsilon, double lambda) t) => Same(t.transform, t.epsilon, t.lambda);

    /// <summary>(f_out, f_in, ε, λ).</summary>
    public static implicit operator TransformSpec((IGroupTransform output, IGroupTransform input, double epsilon, double lambda) t) => new(t.output, t.input, t.epsilon, t.lambda);
}
