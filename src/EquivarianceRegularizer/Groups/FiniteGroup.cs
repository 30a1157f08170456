namespace EquivarianceRegularizer.Groups;

/// <summary>
/// A finite group whose elements are numbered 0 … <see cref="Order"/> − 1 (0 the identity); an element is one int64
/// index per sample. Its testing elements are every non-identity element, enumerated (as escnn's groups choose their own
/// testing elements). Subclasses give the law on index tensors.
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

    /// <inheritdoc/>
    public override bool IsDiscrete => true;

    /// <summary>Every element but the identity, each repeated for the batch (<paramref name="draws"/> and <paramref name="generator"/> are not used).</summary>
    public override IReadOnlyList<GroupElements> TestingElements(long batch, int draws, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return Enumerable.Range(1, Order - 1).Select(k => Element(k, batch)).ToArray();
    }

    /// <inheritdoc/>
    public override GroupElements Identity(long batch, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return Wrap(zeros(new[] { batch }, ScalarType.Int64, device));
    }

    /// <inheritdoc/>
    public override GroupElements Inverse(GroupElements elements)
    {
        using var scope = NewDisposeScope();
        return Wrap(InverseIndices(Own(elements).Values.view(-1)).MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override GroupElements Compose(GroupElements a, GroupElements b)
    {
        long batch = ProductBatch(Own(a), Own(b));
        using var scope = NewDisposeScope();
        var ia = a.Values.view(-1).expand(batch);
        var ib = b.Values.OnDevice(a.Values.device).view(-1).expand(batch);
        return Wrap(ComposeIndices(ia, ib).contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>The index of a·b for index tensors a and b of one shape (int64).</summary>
    protected abstract Tensor ComposeIndices(Tensor a, Tensor b);

    /// <summary>The index of g⁻¹ for an index tensor g (int64).</summary>
    protected abstract Tensor InverseIndices(Tensor g);

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

    /// <summary>The indices of <paramref name="elements"/> (one per sample).</summary>
    public static long[] Indices(GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        using var cpu = elements.Values.cpu();
        return cpu.data<long>().ToArray();
    }

    /// <inheritdoc/>
    protected override object Structure => Order;

    private GroupElements Wrap(Tensor indices)
    {
        var values = Readback<long>(indices);
        return new GroupElements(this, indices, i => DescribeElement((int)values()[i]));
    }
}
