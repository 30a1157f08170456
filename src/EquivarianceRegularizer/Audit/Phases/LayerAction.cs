using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// How the symmetry's drawn element acts on one tensor the layer phase looks at (a layer's input or output): by a
/// transform, trivially (the tensor is invariant), or not at all (the tensor cannot be tested, with the reason).
/// </summary>
internal sealed class LayerAction
{
    private LayerAction(IGroupTransform? transform, bool invariant, string? notTestableReason, string? trivialBecause = null)
    {
        Transform = transform;
        IsInvariant = invariant;
        NotTestableReason = notTestableReason;
        TrivialBecause = trivialBecause;
    }

    /// <summary>Why the group acts trivially where a reader might expect it to move the tensor (token tensors whose grid it does not map), or null.</summary>
    public string? TrivialBecause { get; }

    /// <summary>The transform acting, or null for the trivial action or an untestable tensor.</summary>
    public IGroupTransform? Transform { get; }

    /// <summary>True when the group acts trivially (the tensor should not change).</summary>
    public bool IsInvariant { get; }

    /// <summary>Why the tensor cannot be tested, or null when it can.</summary>
    public string? NotTestableReason { get; }

    /// <summary>The group acts through <paramref name="transform"/>.</summary>
    public static LayerAction By(IGroupTransform transform) => new(transform ?? throw new ArgumentNullException(nameof(transform)), false, null);

    /// <summary>The group acts trivially.</summary>
    public static LayerAction Invariant { get; } = new(null, true, null);

    /// <summary>
    /// True when the action only moves (or keeps) entries — the trivial action, flips, quarter turns, cyclic shifts,
    /// permutations: it is exact in any dtype and keeps every sample's norm.
    /// </summary>
    public bool MovesEntries => IsInvariant || Moves(Transform);

    private static bool Moves(IGroupTransform? t) =>
        t is RotationByQuarterTurns or Flip or DihedralTransform or CyclicShift or IdentityTransform or Permutation
        || (t is TokenGridTransform tokens && Moves(tokens.Image));

    /// <summary>The group acts trivially on a tensor it might be expected to move; <paramref name="because"/> says why (it appears in the report).</summary>
    public static LayerAction Trivial(string because)
    {
        ArgumentException.ThrowIfNullOrEmpty(because);
        return new(null, true, null, because);
    }

    /// <summary>The tensor cannot be tested; <paramref name="reason"/> says why (it appears in the report).</summary>
    public static LayerAction NotTestable(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(null, false, reason);
    }

    /// <summary>Applies the action with shared elements; the result is a new tensor.</summary>
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (NotTestableReason is not null) throw new InvalidOperationException("Not testable: " + NotTestableReason);
        if (IsInvariant) return x.view(x.shape);
        return Transform!.Apply(x, elements);
    }

    /// <summary>"invariant" (with the reason where <see cref="TrivialBecause"/> says one), the transform's name, or "not testable".</summary>
    public override string ToString() => IsInvariant ? TrivialBecause is { } why ? $"invariant ({why})" : "invariant" : Transform?.Name ?? "not testable";
}
