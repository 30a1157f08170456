using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// An image transform carried to token tensors [batch, tokens, features] whose tokens are a patch grid in row-major order
/// (a ViT's <c>flatten(2).transpose(1, 2)</c> of the patch embedding), after <see cref="PrefixTokens"/> tokens that no
/// spatial transform moves (a class token): the grid tokens are laid out as a [features, height, width] map, the image
/// transform acts on it, and they are read back in the same order.
/// </summary>
internal sealed class TokenGridTransform(IGroupTransform image, long height, long width, long prefixTokens) : IGroupTransform
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
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank() != 3 || x.size(1) != prefixTokens + height * width)
            throw new ArgumentException($"{Name} acts on [batch, {prefixTokens + height * width}, features] tensors, not [{string.Join(",", x.shape)}].", nameof(x));
        using var scope = NewDisposeScope();
        long b = x.size(0), d = x.size(2);
        var grid = x.narrow(1, prefixTokens, height * width).reshape(b, height, width, d).permute(0, 3, 1, 2);
        var moved = image.Apply(grid, elements);
        if (moved.size(2) != height || moved.size(3) != width)
            throw new InvalidOperationException($"{image.Name} maps the {height}×{width} token grid to {moved.size(2)}×{moved.size(3)}.");
        var tokens = moved.permute(0, 2, 3, 1).reshape(b, height * width, d);
        var result = prefixTokens > 0 ? cat(new[] { x.narrow(1, 0, prefixTokens), tokens }, 1) : tokens.contiguous();
        return result.MoveToOuterDisposeScope();
    }
}
