using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Models;

/// <summary>
/// The patch grid of a model's token tensors, and how an image symmetry reaches them: one layer action shared by the
/// audit's layer table and the per-layer Lie derivative. A token tensor [batch, N, features] with N = H·W + p (p ≤
/// <see cref="MaxPrefixTokens"/> leading tokens such as a class token) belongs to the feature map [batch, C, H, W] that
/// a call of the forward produced (a ViT's patch embedding; a convolution whose map is flattened into tokens). Where the
/// image transform maps that grid to itself — flips, quarter turns (square grids) and their dihedral group, when the
/// layer that made the grid samples the image on a grid that the flips and quarter turns map to itself — the
/// transform carries to the tokens (<see cref="TokenGridTransform"/>, prefix tokens fixed); everywhere else the tokens
/// get the trivial action, and the reason says why.
/// </summary>
/// <param name="Source">The call that produced the grid (its name in the layer table).</param>
/// <param name="Height">Grid rows.</param>
/// <param name="Width">Grid columns.</param>
/// <param name="Mapped">Whether flips and quarter turns of the image map the grid to itself (null when it could not be measured).</param>
internal sealed record TokenGrid(string Source, long Height, long Width, bool? Mapped)
{
    /// <summary>Most tokens before a grid's own (class and register tokens).</summary>
    public const long MaxPrefixTokens = 8;

    /// <summary>
    /// The grids of every call whose output is a feature map (rank 4) smaller than or equal to the image
    /// <paramref name="image"/> in both spatial sizes, in call order. A grid the size of the image is mapped; a smaller
    /// one is mapped when the call that made it takes the image's size and <paramref name="samplingGridMapped"/> says its
    /// sampling grid is mapped (it is asked only for calls whose map some token tensor of <paramref name="calls"/> matches).
    /// </summary>
    public static IReadOnlyList<TokenGrid> Find(IReadOnlyList<ModuleCall> calls, Tensor image, Func<ModuleCall, bool?> samplingGridMapped)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(samplingGridMapped);
        if (image.Rank() != 4) return Array.Empty<TokenGrid>();
        long h = image.size(2), w = image.size(3);
        var tokenCounts = calls.SelectMany(c => new[] { c.Input, c.Output }).Where(t => t is { } u && u.Rank() == 3).Select(t => t!.size(1)).ToHashSet();
        if (tokenCounts.Count == 0) return Array.Empty<TokenGrid>();
        var grids = new List<TokenGrid>();
        foreach (var c in calls)
        {
            if (c.Output is not { } o || o.Rank() != 4 || o.size(2) > h || o.size(3) > w) continue;
            long gh = o.size(2), gw = o.size(3);
            if (!tokenCounts.Any(n => n - gh * gw >= 0 && n - gh * gw <= MaxPrefixTokens)) continue;
            bool? mapped = gh == h && gw == w ? true
                : c.Input is { } i && i.Rank() == 4 && i.size(2) == h && i.size(3) == w ? samplingGridMapped(c) : null;
            grids.Add(new TokenGrid(c.Name, gh, gw, mapped));
        }
        return grids;
    }

    /// <summary>
    /// The action of <paramref name="image"/> on a tensor of <paramref name="shape"/> (batch first) through one of
    /// <paramref name="grids"/>: a <see cref="TokenGridTransform"/>, or null for the trivial action with the reason;
    /// (null, null) when the tensor is no token tensor of these grids.
    /// </summary>
    public static (IGroupTransform? Action, string? TrivialBecause) Carry(IReadOnlyList<TokenGrid> grids, IGroupTransform image, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(grids);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(shape);
        if (Match(grids, shape) is not var (grid, prefix)) return (null, null);
        string where = $"the {grid.Height}×{grid.Width} token grid of {grid.Source}";
        if (!MovesGridPoints(image, grid.Height == grid.Width))
            return (null, $"{image.Name} does not map {where} to itself: the tokens get the trivial action");
        if (grid.Mapped != true)
            return (null, grid.Mapped is null
                ? $"whether {image.Name} maps {where} to itself could not be measured: the tokens get the trivial action"
                : $"{grid.Source} samples the image on a grid that {image.Name} does not map to itself: the tokens get the trivial action");
        return (new TokenGridTransform(image, grid.Height, grid.Width, prefix), null);
    }

    /// <summary>
    /// The action of the image flow <paramref name="image"/> on a tensor of <paramref name="shape"/> (batch first) through
    /// one of <paramref name="grids"/>, or null when the tensor is no token tensor of these grids. A flow acts in a frame
    /// that does not depend on the resolution, so it carries to every grid whose tokens cover the image, whether or not
    /// its points are mapped to each other (as it acts on every feature map).
    /// </summary>
    public static TokenGridFlow? CarryFlow(IReadOnlyList<TokenGrid> grids, IContinuousTransform image, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(grids);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(shape);
        return Match(grids, shape) is var (grid, prefix) ? new TokenGridFlow(image, grid.Height, grid.Width, prefix) : null;
    }

    // The latest grid a [batch, N, features] tensor's tokens fit, with as few prefix tokens as possible.
    private static (TokenGrid Grid, long Prefix)? Match(IReadOnlyList<TokenGrid> grids, long[] shape)
    {
        if (shape.Length != 3) return null;
        long n = shape[1];
        var grid = grids.Where(g => n - g.Height * g.Width is >= 0 and <= MaxPrefixTokens).Reverse().OrderBy(g => n - g.Height * g.Width).FirstOrDefault();
        return grid is null ? null : (grid, n - grid.Height * grid.Width);
    }

    /// <summary>Whether the transform permutes the points of any grid (of a square one for quarter turns).</summary>
    private static bool MovesGridPoints(IGroupTransform t, bool square) => t switch
    {
        Flip or IdentityTransform => true,
        RotationByQuarterTurns or DihedralTransform => square,
        _ => false,
    };
}
