using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Shared machinery of the transforms of a <see cref="FiniteGroup"/>, whose element is one int64 index per sample:
/// applying per-sample elements by grouping samples with equal elements.
/// </summary>
internal abstract class IndexedFiniteTransform : IFiniteTransform
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The finite group acting.</summary>
    public abstract FiniteGroup Group { get; }

    Group IGroupTransform.Group => Group;

    /// <summary>Applies element <paramref name="index"/> to a batch.</summary>
    protected abstract Tensor ApplyElement(Tensor x, int index);

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        Axes.CheckApply(this, x, elements);
        long[] idx = FiniteGroup.Indices(elements);
        int first = (int)idx[0];
        if (idx.All(i => i == first)) return ApplyElement(x, first);

        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        var order = new List<long>(idx.Length);
        foreach (int e in idx.Distinct())
        {
            long[] rows = Enumerable.Range(0, idx.Length).Where(i => idx[i] == e).Select(i => (long)i).ToArray();
            order.AddRange(rows);
            parts.Add(ApplyElement(x.index_select(0, tensor(rows, device: x.device)), e));
        }
        var shapes = parts.Select(p => string.Join(",", p.shape.Skip(1))).Distinct().ToArray();
        if (shapes.Length > 1)
            throw new InvalidOperationException($"{Name}: the drawn elements map samples to different shapes ({string.Join(" vs ", shapes)}); use a square spatial size.");
        // Samples were regrouped by element; put them back in their original order.
        var inverse = new long[order.Count];
        for (int k = 0; k < order.Count; k++) inverse[order[k]] = k;
        return cat(parts).index_select(0, tensor(inverse, device: x.device)).MoveToOuterDisposeScope();
    }
}
