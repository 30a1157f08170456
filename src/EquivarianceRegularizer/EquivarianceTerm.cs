using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer;

/// <summary>
/// One term of the regularizer: a <see cref="EquivarianceRegularizer.Symmetry"/> with its tolerance ε and weight λ, costing
/// λ·max(0, error − ε). The reference package's tuples convert implicitly, in its order — output first:
/// <c>(f, ε, λ)</c> when f acts on inputs and outputs alike (one shared draw), <c>(f_out, f_in, ε, λ)</c> otherwise;
/// f, f_out and f_in may be transforms (<see cref="IGroupTransform"/>) or plain <c>Func&lt;Tensor, Tensor&gt;</c>.
/// <code>
/// EquivarianceTerm[] terms = [(Transform.RotationByQuarterTurns(), 0.0, 1.0), (Transform.Identity, flip, 0.01, 0.5)];
/// </code>
/// <see cref="Lambda"/> and <see cref="Epsilon"/> may change between steps (a schedule). A constrained term
/// (<see cref="Constrained(EquivarianceRegularizer.Symmetry, double, double, double)"/>) finds λ itself by dual ascent towards ε.
/// </summary>
public sealed class EquivarianceTerm
{
    private double _epsilon;
    private double _lambda;
    private readonly double _weight = 1;
    private readonly bool _infinitesimal;
    private readonly double? _dualStepSize;
    private Tensor? _multiplier; // a constrained term's λ on the model's device (updated there, never read back on a step)
    private readonly object _multiplierLock = new();

    /// <summary>The term λ·max(0, error − ε) for <paramref name="symmetry"/>.</summary>
    public EquivarianceTerm(Symmetry symmetry, double epsilon = 0, double lambda = 1)
    {
        ArgumentNullException.ThrowIfNull(symmetry);
        Symmetry = symmetry;
        _epsilon = CheckEpsilon(epsilon, nameof(epsilon));
        _lambda = CheckLambda(lambda, nameof(lambda));
    }

    /// <summary>What must commute: the input action and the output action.</summary>
    public Symmetry Symmetry { get; }

    /// <summary>ε: errors up to ε cost nothing (for a constrained term: the target the error is held to). Settable between steps.</summary>
    public double Epsilon
    {
        get => _epsilon;
        set => _epsilon = CheckEpsilon(value, nameof(Epsilon));
    }

    /// <summary>
    /// λ: the weight of this term. Settable between steps (a schedule). For a constrained term this is the current
    /// multiplier; reading it then copies one value from the model's device (do it when logging, not on every step).
    /// </summary>
    public double Lambda
    {
        get
        {
            lock (_multiplierLock)
            {
                if (_multiplier is null) return _lambda;
                using var _ = no_grad();
                return _multiplier.ToDouble();
            }
        }
        set
        {
            CheckLambda(value, nameof(Lambda));
            lock (_multiplierLock)
            {
                _lambda = value;
                if (_multiplier is not null)
                    using (no_grad()) _multiplier.fill_(value);
            }
        }
    }

    /// <summary>Relative probability of choosing this term when fewer than all are used per call (default 1).</summary>
    public double Weight
    {
        get => _weight;
        init => _weight = double.IsFinite(value) && value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(Weight), value, $"The sampling weight of transform '{Symmetry.Name}' must be finite and > 0.");
    }

    /// <summary>
    /// Use the infinitesimal penalty E||L_X f(v)||² (the Lie derivative along the continuous input action's generator)
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

    /// <summary>
    /// For a constrained term, the dual step size η: after every call λ ← max(0, λ + η·(error − ε)), computed on the
    /// model's device. Null for a term with a fixed (or user-scheduled) λ.
    /// </summary>
    public double? DualStepSize
    {
        get => _dualStepSize;
        init => _dualStepSize = value is null || (double.IsFinite(value.Value) && value.Value > 0) ? value
            : throw new ArgumentOutOfRangeException(nameof(DualStepSize), value, $"The dual step size of transform '{Symmetry.Name}' must be finite and > 0.");
    }

    /// <summary>Whether λ is found by dual ascent towards ε (see <see cref="Constrained(EquivarianceRegularizer.Symmetry, double, double, double)"/>).</summary>
    public bool IsConstrained => _dualStepSize is not null;

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

    /// <summary>
    /// A constrained term: the error should stay at most <paramref name="epsilon"/> (in the distance's own units), and
    /// the regularizer finds λ by projected dual ascent, λ ← max(0, λ + <paramref name="dualStepSize"/>·(error − ε))
    /// after every call, starting from <paramref name="initialLambda"/>. Its penalty is the Lagrangian term λ·(error − ε)
    /// (negative while the constraint holds, so that λ's gradient pressure fades), as in the Cooper library and Gallego-Posada
    /// et al., "Learning (Approximately) Equivariant Networks via Constrained Optimization" (NeurIPS 2025).
    /// </summary>
    public static EquivarianceTerm Constrained(Symmetry symmetry, double epsilon, double dualStepSize = 0.01, double initialLambda = 0) =>
        new(symmetry, epsilon, initialLambda) { DualStepSize = dualStepSize };

    /// <summary>(f, ε, λ): f acts on inputs and outputs with one shared draw.</summary>
    public static implicit operator EquivarianceTerm((IGroupTransform transform, double epsilon, double lambda) t) => Equivariant(t.transform, t.epsilon, t.lambda);

    /// <summary>
    /// (f_out, f_in, ε, λ), in the reference package's order (output first). Transforms of one group share each drawn
    /// element (e.g. an image rotation and the rotation of a predicted vector); otherwise each acts on its own
    /// (<see cref="Symmetry.Independent"/>), as the reference package applies two functions.
    /// </summary>
    public static implicit operator EquivarianceTerm((IGroupTransform output, IGroupTransform input, double epsilon, double lambda) t)
    {
        ArgumentNullException.ThrowIfNull(t.input);
        ArgumentNullException.ThrowIfNull(t.output);
        var symmetry = t.output.Group.IsTrivial || t.output.Group == t.input.Group ? new Symmetry(t.input, t.output) : Symmetry.Independent(t.input, t.output);
        return new EquivarianceTerm(symmetry, t.epsilon, t.lambda);
    }

    /// <summary>(f, ε, λ) with a plain function: f acts on inputs and outputs; when f draws random numbers from TorchSharp's
    /// default generator, the output sees the same draws as the input (one shared random transformation).</summary>
    public static implicit operator EquivarianceTerm((Func<Tensor, Tensor> transform, double epsilon, double lambda) t) =>
        Equivariant(new LambdaTransform("f", t.transform) { ReplaysRandomness = true }, t.epsilon, t.lambda);

    /// <summary>(f_out, f_in, ε, λ) with plain functions, output first: each applied as given, independently.</summary>
    public static implicit operator EquivarianceTerm((Func<Tensor, Tensor> output, Func<Tensor, Tensor> input, double epsilon, double lambda) t) =>
        new(Symmetry.Independent(new LambdaTransform("f_in", t.input), new LambdaTransform("f_out", t.output)), t.epsilon, t.lambda);

    private double CheckEpsilon(double value, string parameter) =>
        double.IsFinite(value) && value >= 0 ? value
            : throw new ArgumentOutOfRangeException(parameter, value, $"ε of transform '{Symmetry.Name}' must be finite and ≥ 0.");

    // λ·error is computed in the model's dtype: a λ beyond float32's range would make every penalty infinite.
    private double CheckLambda(double value, string parameter) =>
        double.IsFinite(value) && value >= 0 && value <= float.MaxValue ? value
            : throw new ArgumentOutOfRangeException(parameter, value,
                $"λ of transform '{Symmetry.Name}' must be finite, ≥ 0 and at most {float.MaxValue.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)} (the largest float32 value); scale the loss instead.");

    // A constrained term's λ as a 0-d tensor on the model's device and dtype, made at its first use from the host value.
    internal Tensor Multiplier(Device device, ScalarType dtype)
    {
        lock (_multiplierLock)
        {
            if (_multiplier is not null && _multiplier.device == device && _multiplier.dtype == dtype) return _multiplier;
            using var _ = no_grad();
            var value = _multiplier is null ? tensor(_lambda, dtype, device) : _multiplier.to(dtype, device);
            _multiplier?.Dispose();
            _multiplier = value.DetachFromDisposeScope();
            return _multiplier;
        }
    }

    // Projected dual ascent, on the device: λ ← max(0, λ + η·(error − ε)).
    internal void DualStep(Tensor error)
    {
        if (_dualStepSize is not { } eta) return;
        lock (_multiplierLock)
        {
            if (_multiplier is null) return;
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var step = (error.detach().to(_multiplier.dtype) - _epsilon) * eta;
            _multiplier.add_(step).clamp_(min: 0);
        }
    }
}
