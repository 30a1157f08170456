namespace EquivarianceRegularizer.Groups;

/// <summary>The symmetric group S_n: an element is a permutation, one int64 row of n indices per sample.</summary>
public sealed class SymmetricGroup : Group
{
    /// <summary>S_<paramref name="n"/>; with <paramref name="forceNonIdentity"/> the sampler never draws the identity (a swap replaces it).</summary>
    public SymmetricGroup(int n, bool forceNonIdentity = false) : base($"S{n}")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (forceNonIdentity && n < 2) throw new ArgumentException("S1 has no non-identity permutation.", nameof(forceNonIdentity));
        N = n;
        ForceNonIdentity = forceNonIdentity;
    }

    /// <summary>n: the number of permuted items.</summary>
    public int N { get; }

    /// <summary>Whether the sampler avoids the identity.</summary>
    public bool ForceNonIdentity { get; }

    /// <inheritdoc/>
    public override bool IsTrivial => N == 1;

    /// <summary>Uniformly random permutations (the identity swapped for a transposition when <see cref="ForceNonIdentity"/>).</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        using var scope = NewDisposeScope();
        long[] rows = rand(new[] { batch, (long)N }, dtype: ScalarType.Float64, generator: generator).sort(-1).Indices.data<long>().ToArray();
        if (ForceNonIdentity)
            for (int b = 0; b < batch; b++)
            {
                bool identity = true;
                for (int i = 0; i < N && identity; i++) identity = rows[b * N + i] == i;
                if (identity) (rows[b * N], rows[b * N + 1]) = (rows[b * N + 1], rows[b * N]);
            }
        return Elements(rows, batch);
    }

    /// <summary>Elements from permutations given row by row (each a permutation of 0..n−1).</summary>
    public GroupElements Elements(long[] rows, long batch)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Length != batch * N) throw new ArgumentException($"Expected {batch} rows of {N} indices, got {rows.Length} values.", nameof(rows));
        return new GroupElements(this, tensor(rows, new[] { batch, (long)N }),
            i => "permutation [" + string.Join(" ", rows.Skip(i * N).Take(N)) + "]");
    }

    /// <inheritdoc/>
    protected override object Structure => N;
}
