using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Recipes;

/// <summary>
/// Data augmentation drawn from a symmetry: each call draws one group element per sample (uniformly, identity
/// included; Haar for continuous groups) and applies it to the inputs, and, for an equivariance, the same element to
/// the targets through the output action. The same transforms and groups as the regularizer and the audit, so the
/// three say the same symmetry.
/// <code>
/// using var augment = new GroupAugmentation(Transform.RotationByQuarterTurns(), seed: 3);
/// var loss = criterion.call(model.call(augment.call(xb)), yb);                  // classification: labels unchanged
/// var (x2, y2) = segmentationAugment.call(xb, masks);                           // equivariance: masks turned alike
/// </code>
/// With a seed the sequence of draws is reproducible; with a <see cref="Generator"/> it is the caller's stream; with
/// neither it draws from TorchSharp's default generator (so <c>torch.manual_seed</c> fixes it). Not thread-safe (one generator).
/// </summary>
public sealed class GroupAugmentation : IDisposable
{
    private readonly Generator _generator;
    private readonly bool _ownsGenerator;

    /// <summary>Augments with <paramref name="symmetry"/>: its input action on inputs, its output action on targets.</summary>
    /// <param name="symmetry">What the data should respect.</param>
    /// <param name="seed">Seeds a generator of this augmentation's own (ignored when <paramref name="generator"/> is given).</param>
    /// <param name="generator">A generator to draw from (not owned).</param>
    /// <exception cref="ArgumentException">The symmetry's two actions draw independently (<see cref="Symmetry.Independent"/>).</exception>
    public GroupAugmentation(Symmetry symmetry, ulong? seed = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(symmetry);
        if (symmetry.IsIndependent && !symmetry.IsInvariant)
            throw new ArgumentException(
                $"{symmetry.Name} acts independently on inputs and outputs (Symmetry.Independent), so no drawn element says how to change a target. " +
                "Use Symmetry(input, output) with two transforms of one group, or augment the inputs alone with GroupAugmentation(transform).",
                nameof(symmetry));
        Symmetry = symmetry;
        if (generator is not null) _generator = generator;
        else if (seed is { } s) { _generator = new Generator(s); _ownsGenerator = true; }
        else _generator = Generator.Default;
    }

    /// <summary>Augments inputs with <paramref name="transform"/>, leaving targets as they are (an invariance, e.g. class labels).</summary>
    public GroupAugmentation(IGroupTransform transform, ulong? seed = null, Generator? generator = null)
        : this(Symmetry.Invariant(transform), seed, generator) { }

    /// <summary>The symmetry whose elements are drawn.</summary>
    public Symmetry Symmetry { get; }

    /// <summary>Draws one element per sample for a batch of <paramref name="batch"/> (the caller disposes them).</summary>
    public GroupElements Draw(long batch)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "A batch to augment needs at least one sample.");
        return Symmetry.Group.Sample(batch, _generator);
    }

    /// <summary>The batch <paramref name="input"/> (batch axis first) with one random element applied to each sample.</summary>
    public Tensor call(Tensor input)
    {
        CheckBatch(input, nameof(input));
        using var elements = Draw(input.size(0));
        return Symmetry.Input.Apply(input, elements);
    }

    /// <summary>
    /// The batch and its targets, each sample's input acted on by a random element g and its target by ρ_out(g) (targets
    /// unchanged for an invariance).
    /// </summary>
    public (Tensor input, Tensor target) call(Tensor input, Tensor target)
    {
        CheckBatch(input, nameof(input));
        CheckBatch(target, nameof(target));
        if (target.size(0) != input.size(0))
            throw new ArgumentException($"The targets have batch {target.size(0)} but the inputs {input.size(0)}; give one target per input.", nameof(target));
        using var elements = Draw(input.size(0));
        return (Symmetry.Input.Apply(input, elements), Symmetry.ActOnOutput(target, elements));
    }

    /// <summary>Releases the generator made from a seed (a given generator is the caller's).</summary>
    public void Dispose()
    {
        if (_ownsGenerator) _generator.Dispose();
    }

    private static void CheckBatch(Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.Rank() == 0 || t.size(0) < 1)
            throw new ArgumentException($"GroupAugmentation needs a batch (batch axis first, at least one sample); got shape [{string.Join(", ", t.shape)}].", name);
    }
}
