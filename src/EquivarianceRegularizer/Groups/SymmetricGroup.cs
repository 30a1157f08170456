namespace EquivarianceRegularizer.Groups;

/// <summary>
/// The symmetric group S_n: an element is a permutation, one int64 row of n indices per sample. A permutation π acts
/// by out[i] = x[π(i)], so acting by a, then by b… composes as rows: (a·b)[i] = b[a[i]].
/// </summary>
internal sealed class SymmetricGroup : Group
{
    /// <summary>S_<paramref name="n"/>.</summary>
    public SymmetricGroup(int n) : base($"S{n}")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        N = n;
    }

    /// <summary>n: the number of permuted items.</summary>
    public int N { get; }

    /// <inheritdoc/>
    public override bool IsTrivial => N == 1;

    /// <inheritdoc/>
    public override bool IsDiscrete => true;

    /// <summary>Uniformly random permutations (identity included).</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        using var scope = NewDisposeScope();
        var rows = rand(new[] { batch, (long)N }, dtype: ScalarType.Float64, generator: generator).sort(-1).Indices;
        return Wrap(rows.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// <paramref name="draws"/> draws of random non-identity permutations: uniform draws, with the swap of the first
    /// two items in place of any identity drawn (an identity tests nothing).
    /// </summary>
    public override IReadOnlyList<GroupElements> TestingElements(long batch, int draws, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        if (N < 2) throw new InvalidOperationException($"{Name} has no non-identity element to test.");
        var swap = Enumerable.Range(0, N).Select(i => (long)(i < 2 ? 1 - i : i)).ToArray();
        return Enumerable.Range(0, draws).Select(_ =>
        {
            using var drawn = Sample(batch, generator);
            using var scope = NewDisposeScope();
            var identity = drawn.Values.eq(arange(N, ScalarType.Int64)).all(1, keepdim: true);
            return Wrap(where(identity, tensor(swap).expand(batch, N), drawn.Values).MoveToOuterDisposeScope());
        }).ToArray();
    }

    /// <summary>0, 1, …, n−1 in every row.</summary>
    public override GroupElements Identity(long batch, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        using var scope = NewDisposeScope();
        return Wrap(arange(N, ScalarType.Int64, device).expand(batch, N).contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>The inverse permutations: inv[π[i]] = i.</summary>
    public override GroupElements Inverse(GroupElements elements)
    {
        using var scope = NewDisposeScope();
        return Wrap(Own(elements).Values.argsort(1).MoveToOuterDisposeScope());
    }

    /// <summary>(a·b)[i] = b[a[i]]: acting by a·b is acting by b, then by a.</summary>
    public override GroupElements Compose(GroupElements a, GroupElements b)
    {
        long batch = ProductBatch(Own(a), Own(b));
        using var scope = NewDisposeScope();
        var ra = a.Values.expand(batch, N);
        var rb = b.Values.OnDevice(a.Values.device).expand(batch, N);
        return Wrap(rb.gather(1, ra).MoveToOuterDisposeScope());
    }

    /// <summary>Elements from permutations given row by row (each a permutation of 0..n−1).</summary>
    public GroupElements Elements(long[] rows, long batch)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Length != batch * N) throw new ArgumentException($"Expected {batch} rows of {N} indices, got {rows.Length} values.", nameof(rows));
        return Wrap(tensor(rows, new[] { batch, (long)N }));
    }

    /// <inheritdoc/>
    protected override object Structure => N;

    private GroupElements Wrap(Tensor rows)
    {
        var values = Readback<long>(rows);
        return new GroupElements(this, rows, i => "permutation [" + string.Join(" ", values().Skip(i * N).Take(N)) + "]");
    }
}
