using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer;

/// <summary>
/// What must commute: a group acting on the model's inputs and on its outputs, model(ρ_in(g)·x) = ρ_out(g)·model(x)
/// for every element g. Both actions are transforms of the same <see cref="Groups.Group"/> (one drawn element per
/// sample drives both), or the output's is trivial (an invariance). Arguments are always (input, output).
/// <code>
/// var invariant = Symmetry.Invariant(Transform.RotationByQuarterTurns());                        // model(g·x) = model(x)
/// var equivariant = Symmetry.Equivariant(Transform.Rotation(), Transform.VectorRotation2D());         // a direction rotates with the image
/// </code>
/// </summary>
public sealed class Symmetry
{
    /// <summary>The symmetry acting by <paramref name="input"/> on inputs and <paramref name="output"/> on outputs.</summary>
    /// <exception cref="ArgumentException">The two transforms act by different groups and the output's is not trivial.</exception>
    public Symmetry(IGroupTransform input, IGroupTransform output) : this(input, output, independent: false)
    {
    }

    private Symmetry(IGroupTransform input, IGroupTransform output, bool independent)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        IsIndependent = independent;
        if (!independent && !output.Group.IsTrivial && output.Group != input.Group)
            throw new ArgumentException(
                $"The output transform '{output.Name}' acts by {output.Group} but the input transform '{input.Name}' acts by {input.Group}; " +
                "a symmetry needs one group for both (so that one drawn element acts on input and output), or an invariant output (IdentityTransform); " +
                "for two transforms that act independently (the reference package's (f_out, f_in, ε, λ) of two functions) use Symmetry.Independent(input, output).",
                nameof(output));
        Input = input;
        Output = output;
    }

    /// <summary>ρ_in: the action on model inputs.</summary>
    public IGroupTransform Input { get; }

    /// <summary>ρ_out: the action on model outputs (<see cref="IdentityTransform"/> for an invariance).</summary>
    public IGroupTransform Output { get; }

    /// <summary>The group; its elements are drawn (or enumerated) once per sample for both actions.</summary>
    public Group Group => Input.Group;

    /// <summary>True when the output action is trivial: the model's outputs should not change.</summary>
    public bool IsInvariant => Output.Group.IsTrivial;

    /// <summary>
    /// True for a pair that acts independently (<see cref="Independent"/>): the output transform draws its own element,
    /// so the pair is a regularization target, not a group symmetry the audit can enumerate.
    /// </summary>
    public bool IsIndependent { get; }

    /// <summary>
    /// Two transforms applied as given, each with its own draw: dist(output(model(v)), model(input(v))). This is the
    /// reference package's (f_out, f_in, ε, λ) with two functions; for transforms of one group prefer the constructor,
    /// which shares each drawn element between input and output.
    /// </summary>
    public static Symmetry Independent(IGroupTransform input, IGroupTransform output) => new(input, output, independent: true);

    /// <summary>model(g·x) = model(x).</summary>
    public static Symmetry Invariant(IGroupTransform input) => new(input, Transform.Identity);

    /// <summary>model(g·x) = g·model(x); the output action defaults to the input's transform itself.</summary>
    public static Symmetry Equivariant(IGroupTransform input, IGroupTransform? output = null) => new(input, output ?? input);

    /// <summary>Name for reports: the input transform's name, with the output's after an arrow when it differs and is not trivial.</summary>
    public string Name => IsIndependent ? $"{Input.Name}⇢{Output.Name}" : IsInvariant || ReferenceEquals(Output, Input) || Output.Name == Input.Name ? Input.Name : $"{Input.Name}→{Output.Name}";

    /// <summary>ρ_out(g)·y for the elements <paramref name="inputElements"/> drawn for the inputs (a new handle on y for an invariance).</summary>
    public Tensor ActOnOutput(Tensor y, GroupElements inputElements)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(inputElements);
        if (IsInvariant) return y.view(y.shape);
        if (IsIndependent)
            throw new InvalidOperationException(
                $"The pair {Name} acts independently on inputs and outputs (Symmetry.Independent): no element is shared, so the output action needs its own draw. " +
                "Only the regularizer evaluates such pairs; audit a Symmetry(input, output) of one group instead.");
        return Output.Apply(y, inputElements);
    }

    /// <summary>A short description, e.g. "rot90 (C4), invariant".</summary>
    public override string ToString() => $"{Input.Name} ({Input.Group}), " + (IsInvariant ? "invariant" : $"equivariant (output: {Output.Name})");
}
