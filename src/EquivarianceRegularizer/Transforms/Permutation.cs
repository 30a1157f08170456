namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// The symmetric group S_n permuting one or more sample axes of length n with the same permutation
/// (a set or token axis; both node axes of an adjacency matrix). Element rows are int64 permutations;
/// out[..., i, ...] = x[..., π(i), ...].
/// </summary>
internal sealed class Permutation : IGroupTransform
{
    private readonly int[] _axes;

    /// <summary>Permutes sample axes <paramref name="axes"/> (default axis 0) of length <paramref name="n"/>.</summary>
    public Permutation(int n, params int[] axes)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "Permutations need n ≥ 1.");
        N = n;
        _axes = axes is { Length: > 0 } ? axes : new[] { 0 };
    }

    /// <summary>Length of the permuted axis.</summary>
    public int N { get; }

    /// <inheritdoc />
    public string Name => "permute";

    /// <summary>S_n.</summary>
    public SymmetricGroup Group => _group ??= new SymmetricGroup(N);
    private SymmetricGroup? _group;

    Group IGroupTransform.Group => Group;

    /// <inheritdoc />
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        Axes.CheckApply(this, x, elements);
        using var scope = NewDisposeScope();
        var shape = x.shape;
        var result = x;
        foreach (int axis in _axes)
        {
            long d = Axes.Resolve(x, axis, Name);
            if (shape[d] != N)
                throw new ArgumentException($"permute: axis {axis} has length {shape[d]}, expected {N}.", nameof(x));
            var view = Enumerable.Repeat(1L, shape.Length).ToArray();
            view[0] = shape[0];
            view[d] = N;
            var index = elements.Values.OnDevice(x.device).view(view).expand(shape);
            result = result.gather(d, index);
        }
        return (ReferenceEquals(result, x) ? x.alias() : result).MoveToOuterDisposeScope();
    }
}
