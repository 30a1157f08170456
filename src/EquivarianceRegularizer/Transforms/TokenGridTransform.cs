using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// An image transform carried to token tensors [batch, tokens, features] whose tokens are a patch grid in row-major order
/// (a ViT's <c>flatten(2).transpose(1, 2)</c> of the patch embedding), after <see cref="PrefixTokens"/> tokens that no
/// spatial transform moves (a class token): the grid tokens are laid out as a [features, height, width] map, the image
/// transform acts on it, and they are read back in the same order.
/// </summary>
internal class TokenGridTransform(IGroupTransform image, long height, long width, long prefixTokens) : IGroupTransform
{
    /// <summary>The transform acting on the grid.</summary>
    public IGroupTransform Image => image;

    /// <summary>Tokens before the grid's, kept in place.</summary>
    public long PrefixTokens => prefixTokens;

    /// <inheritdoc />
    public string Name => $"{image.Name} on the {height}×{width} token grid" + (prefixTokens > 0 ? $" ({prefixTokens} token{(prefixTokens > 1 ? "s" : "")} fixed)" : "");

    /// <inheritdoc />
    public Group Group => image.Group;

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements) => OnGrid(x, grid => image.Apply(grid, elements), fixedTokensStay: true);

    /// <summary>
    /// <paramref name="onGrid"/> applied to the grid tokens of <paramref name="x"/> laid out as a [batch, features,
    /// height, width] map and read back as tokens; the prefix tokens are kept (<paramref name="fixedTokensStay"/>) or
    /// zero (a tangent: they do not move).
    /// </summary>
    protected Tensor OnGrid(Tensor x, Func<Tensor, Tensor> onGrid, bool fixedTokensStay)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank() != 3 || x.size(1) != prefixTokens + height * width)
            throw new ArgumentException($"{Name} acts on [batch, {prefixTokens + height * width}, features] tensors, not [{string.Join(",", x.shape)}].", nameof(x));
        using var scope = NewDisposeScope();
        long b = x.size(0), d = x.size(2);
        var grid = x.narrow(1, prefixTokens, height * width).reshape(b, height, width, d).permute(0, 3, 1, 2);
        var moved = onGrid(grid);
        if (moved.size(2) != height || moved.size(3) != width)
            throw new InvalidOperationException($"{image.Name} maps the {height}×{width} token grid to {moved.size(2)}×{moved.size(3)}.");
        var tokens = moved.permute(0, 2, 3, 1).reshape(b, height * width, d);
        var prefix = x.narrow(1, 0, prefixTokens);
        var result = prefixTokens == 0 ? tokens.contiguous() : cat(new[] { fixedTokensStay ? prefix : zeros_like(prefix), tokens }, 1);
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A continuous image transform (a flow: translations, rotations, scalings) carried to a patch grid's tokens the way
/// <see cref="TokenGridTransform"/> carries a discrete one. Image flows act in a frame that does not depend on the
/// resolution, so the grid sees the same group element as the image, like any feature map of the same field of view;
/// the prefix tokens do not move (their tangent is zero).
/// </summary>
internal sealed class TokenGridFlow(IContinuousTransform image, long height, long width, long prefixTokens)
    : TokenGridTransform(image, height, width, prefixTokens), IContinuousTransform
{
    /// <inheritdoc />
    public Tensor ApplyAt(Tensor x, double t) => OnGrid(x, grid => image.ApplyAt(grid, t), fixedTokensStay: true);

    /// <inheritdoc />
    public Tensor Tangent(Tensor x) => OnGrid(x, image.Tangent, fixedTokensStay: false);

    /// <inheritdoc />
    public bool IsExactOnGrid => image.IsExactOnGrid;
}
