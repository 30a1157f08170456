namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Shared machinery of finite-group transforms whose element is one int64 index per sample:
/// uniform sampling, enumeration, and applying per-sample elements by grouping samples with equal elements.
/// </summary>
public abstract class IndexedFiniteTransform : IFiniteTransform
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Group { get; }

    /// <inheritdoc />
    public abstract int Order { get; }

    /// <summary>Describes element <paramref name="index"/> (e.g. "rotation by 180°").</summary>
    public abstract string DescribeElement(int index);

    /// <summary>Applies element <paramref name="index"/> to a batch.</summary>
    protected abstract Tensor ApplyElement(Tensor x, int index);

    /// <inheritdoc />
    public GroupElements Sample(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentNullException.ThrowIfNull(generator);
        return Wrap(randint(0, Order, new[] { batch }, generator: generator));
    }

    /// <summary>Draws elements uniformly among the non-identity ones (for audits).</summary>
    public GroupElements SampleNonIdentity(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentNullException.ThrowIfNull(generator);
        if (Order < 2) throw new InvalidOperationException($"{Name} has no non-identity element.");
        return Wrap(randint(1, Order, new[] { batch }, generator: generator));
    }

    /// <inheritdoc />
    public GroupElements Element(int index, long batch)
    {
        if (index < 0 || index >= Order)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has elements 0..{Order - 1}.");
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return Wrap(full(new[] { batch }, index, ScalarType.Int64));
    }

    private GroupElements Wrap(Tensor indices)
    {
        long[] values = indices.data<long>().ToArray();
        return new GroupElements(Group, indices, i => DescribeElement((int)values[i]));
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        Axes.CheckApply(this, x, elements);
        long[] idx = elements.Values.data<long>().ToArray();
        int first = (int)idx[0];
        if (idx.All(i => i == first)) return ApplyElement(x, first);

        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        var order = new List<long>(idx.Length);
        foreach (int e in idx.Distinct())
        {
            long[] rows = Enumerable.Range(0, idx.Length).Where(i => idx[i] == e).Select(i => (long)i).ToArray();
            order.AddRange(rows);
            parts.Add(ApplyElement(x.index_select(0, tensor(rows)), e));
        }
        var shapes = parts.Select(p => string.Join(",", p.shape.Skip(1))).Distinct().ToArray();
        if (shapes.Length > 1)
            throw new InvalidOperationException($"{Name}: the drawn elements map samples to different shapes ({string.Join(" vs ", shapes)}); use a square spatial size.");
        // Samples were regrouped by element; put them back in their original order.
        var inverse = new long[order.Count];
        for (int k = 0; k < order.Count; k++) inverse[order[k]] = k;
        return cat(parts).index_select(0, tensor(inverse)).MoveToOuterDisposeScope();
    }
}
