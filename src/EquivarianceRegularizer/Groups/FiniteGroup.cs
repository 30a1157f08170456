namespace EquivarianceRegularizer.Groups;

/// <summary>
/// A finite group whose elements are numbered 0 … <see cref="Order"/> − 1 (0 the identity); an element is one int64
/// index per sample. The audit enumerates <see cref="TestingElements"/> instead of sampling (as escnn's groups choose
/// their own testing elements).
/// </summary>
public abstract class FiniteGroup : Group
{
    private readonly Func<int, string>? _describe;

    /// <summary>Creates the group; <paramref name="describe"/> names element k in reports (e.g. "rotation by 90°").</summary>
    protected FiniteGroup(string name, int order, Func<int, string>? describe) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        Order = order;
        _describe = describe;
    }

    /// <summary>Number of elements, identity included.</summary>
    public int Order { get; }

    /// <inheritdoc/>
    public override bool IsTrivial => Order == 1;

    /// <summary>The elements an audit checks: every element but the identity.</summary>
    public IReadOnlyList<int> TestingElements => Enumerable.Range(1, Order - 1).ToArray();

    /// <summary>Names element <paramref name="index"/> for reports.</summary>
    public string DescribeElement(int index) => _describe?.Invoke(index) ?? (index == 0 ? "identity" : $"element {index} of {Name}");

    /// <summary>Element <paramref name="index"/> (0 is the identity) repeated for a batch.</summary>
    public GroupElements Element(int index, long batch)
    {
        if (index < 0 || index >= Order)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has elements 0..{Order - 1}.");
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return Wrap(full(new[] { batch }, index, ScalarType.Int64));
    }

    /// <summary>Draws elements uniformly (identity included).</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        return Wrap(randint(0, Order, new[] { batch }, generator: generator));
    }

    /// <summary>Draws elements uniformly among the non-identity ones.</summary>
    public GroupElements SampleNonIdentity(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        if (Order < 2) throw new InvalidOperationException($"{Name} has no non-identity element.");
        return Wrap(randint(1, Order, new[] { batch }, generator: generator));
    }

    /// <summary>The indices of <paramref name="elements"/> (one per sample).</summary>
    public static long[] Indices(GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return elements.Values.data<long>().ToArray();
    }

    /// <inheritdoc/>
    protected override object Structure => Order;

    private GroupElements Wrap(Tensor indices)
    {
        long[] values = indices.data<long>().ToArray();
        return new GroupElements(this, indices, i => DescribeElement((int)values[i]));
    }
}
