using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Recipes;

/// <summary>
/// A model made exactly symmetric by averaging over a finite group: the output is
/// (1/|G|) Σ_g ρ_out(g)⁻¹·model(ρ_in(g)·x), which for an invariance is the mean of model(g·x) over the group. Whatever
/// the wrapped model learns, the average commutes with every element of G (up to float rounding), so the audit passes it.
/// <code>
/// var cnn = nn.Sequential(...);                                                     // any classifier
/// var model = GroupAveraged.Invariant(cnn, Transform.RotationByQuarterTurns());           // mean of the logits over the four turns
/// var loss = criterion.call(model.call(x), y);                                      // train it like any module
/// </code>
/// All |G| transformed copies of the batch go through the wrapped model in one batched forward, so a forward costs |G|
/// times the model's (time and activation memory), and norm layers in training mode see the whole orbit of each
/// sample: their batch statistics are themselves invariant, which keeps the average exact in training mode too.
/// The wrapped model is registered as the child "model" and is disposed with this module.
/// </summary>
public sealed class GroupAveraged : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly FiniteGroup _group;

    /// <summary>Averages <paramref name="model"/> over the finite group of <paramref name="symmetry"/>.</summary>
    /// <param name="model">The model to symmetrize (registered as the child "model"; owned from now on).</param>
    /// <param name="symmetry">What must commute; its group must be finite (C4, D4, flips, cyclic shifts).</param>
    /// <exception cref="ArgumentException">The symmetry's group is not finite, or its two actions draw independently.</exception>
    public GroupAveraged(nn.Module<Tensor, Tensor> model, Symmetry symmetry) : base(nameof(GroupAveraged))
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(symmetry);
        if (symmetry.Group is not FiniteGroup finite)
            throw new ArgumentException(
                $"GroupAveraged sums over every element of the group, so it needs a finite group; '{symmetry.Input.Name}' acts by {symmetry.Group}. " +
                "Use a finite transform (RotationByQuarterTurns, DihedralTransform, Flip, CyclicShift), or the regularizer or GroupAugmentation for a continuous group.",
                nameof(symmetry));
        if (symmetry.IsIndependent && !symmetry.IsInvariant)
            throw new ArgumentException(
                $"GroupAveraged undoes each element on the output with the same element's inverse, but {symmetry.Name} acts independently on inputs and outputs (Symmetry.Independent). " +
                "Use Symmetry(input, output) with two transforms of one group, or an invariance.",
                nameof(symmetry));
        _model = model;
        _group = finite;
        Symmetry = symmetry;
        register_module("model", model);
    }

    /// <summary>The model averaged over <paramref name="transform"/>'s finite group: invariant outputs.</summary>
    public static GroupAveraged Invariant(nn.Module<Tensor, Tensor> model, IGroupTransform transform) => new(model, Symmetry.Invariant(transform));

    /// <summary>
    /// The model averaged into an equivariant one: ρ_out(g)⁻¹·model(ρ_in(g)·x) averaged over the group, with
    /// <paramref name="output"/> (default: <paramref name="input"/> itself) acting on outputs.
    /// </summary>
    public static GroupAveraged Equivariant(nn.Module<Tensor, Tensor> model, IGroupTransform input, IGroupTransform? output = null) =>
        new(model, Symmetry.Equivariant(input, output));

    /// <summary>The symmetry the average satisfies exactly.</summary>
    public Symmetry Symmetry { get; }

    /// <summary>The finite group averaged over.</summary>
    public FiniteGroup Group => _group;

    /// <summary>The wrapped model.</summary>
    public nn.Module<Tensor, Tensor> Model => _model;

    /// <summary>(1/|G|) Σ_g ρ_out(g)⁻¹·model(ρ_in(g)·x), with one batched forward of the |G| transformed copies of x.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank() == 0 || input.size(0) < 1)
            throw new ArgumentException($"GroupAveraged needs a batch of at least one sample (batch axis first); got shape [{string.Join(", ", input.shape)}].", nameof(input));
        long batch = input.size(0);
        int order = _group.Order;
        using var scope = NewDisposeScope();
        var copies = new Tensor[order];
        for (int k = 0; k < order; k++)
        {
            using var element = _group.Element(k, batch);
            copies[k] = Symmetry.Input.Apply(input, element);
        }
        var outputs = _model.call(order == 1 ? copies[0] : cat(copies, 0));
        if (outputs.Rank() == 0 || outputs.size(0) != order * batch)
            throw new InvalidOperationException(
                $"GroupAveraged: the model returned shape [{string.Join(", ", outputs.shape)}] for {order * batch} inputs; it must return one output row per input (batch axis first).");
        Tensor? sum = null;
        for (int k = 0; k < order; k++)
        {
            var part = outputs.narrow(0, k * batch, batch);
            if (!Symmetry.IsInvariant)
            {
                using var element = _group.Element(k, batch);
                using var inverse = _group.Inverse(element);
                part = Symmetry.Output.Apply(part, inverse);
            }
            sum = sum is null ? part : sum + part;
        }
        return (sum! / order).MoveToOuterDisposeScope();
    }
}
