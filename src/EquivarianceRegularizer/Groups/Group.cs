namespace EquivarianceRegularizer.Groups;

/// <summary>
/// A group: it draws its elements, knows its law (identity, inverse, composition, batched over
/// <see cref="GroupElements"/> on the elements' device) and chooses the elements a check tests, as escnn's groups do
/// (<c>testing_elements</c>). Transforms are its actions on tensors
/// (<see cref="EquivarianceRegularizer.Transforms.IGroupTransform.Group"/>): acting by a·b is acting by b, then by a.
/// Two groups are equal when they are the same abstract group (C4 and C4, SO(2) and SO(2)): elements drawn by one may
/// then act through a transform of the other, which is how one drawn element per sample drives both the input and the
/// output action of a <see cref="EquivarianceRegularizer.Symmetry"/>. How the group samples (its parameter range) does
/// not enter equality: the input transform's group draws.
/// </summary>
public abstract class Group : IEquatable<Group>
{
    /// <summary>Creates a group named <paramref name="name"/> (for reports, e.g. "C4", "SO(2)").</summary>
    protected Group(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The group's name in reports, e.g. "C4", "D4", "SO(2)", "R".</summary>
    public string Name { get; }

    /// <summary>True for the trivial group {e}: a transform of it leaves tensors unchanged (invariance).</summary>
    public virtual bool IsTrivial => false;

    /// <summary>Draws <paramref name="batch"/> elements, one per sample (uniform/Haar unless documented otherwise).</summary>
    public abstract GroupElements Sample(long batch, Generator generator);

    /// <summary>The identity element e for every sample of a batch, on <paramref name="device"/> (the CPU when null).</summary>
    public abstract GroupElements Identity(long batch, Device? device = null);

    /// <summary>g⁻¹ for every sample's g, on the elements' device: acting by g⁻¹ undoes acting by g.</summary>
    public abstract GroupElements Inverse(GroupElements elements);

    /// <summary>
    /// The product a·b sample by sample, on the elements' device: acting by a·b is acting by b, then by a. Both
    /// batches have the same size; a batch of one is repeated for the other's samples.
    /// </summary>
    public abstract GroupElements Compose(GroupElements a, GroupElements b);

    /// <summary>
    /// The elements a check of equivariance tests, each a batch of <paramref name="batch"/> (as escnn's
    /// <c>testing_elements</c>): here <paramref name="draws"/> random draws; a finite group enumerates every
    /// non-identity element instead, and the symmetric group draws non-identity permutations.
    /// </summary>
    public virtual IReadOnlyList<GroupElements> TestingElements(long batch, int draws, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        return Enumerable.Range(0, draws).Select(_ => Sample(batch, generator)).ToArray();
    }

    /// <summary>
    /// True when the group is discrete: its elements are indices (finite cyclic and dihedral groups, permutations),
    /// and the library's transforms of it move tensor entries without arithmetic, exactly in any dtype.
    /// </summary>
    public virtual bool IsDiscrete => false;

    /// <summary>
    /// What makes two groups the same abstract group, besides their type: e.g. the order of a cyclic group, the
    /// dimension of a rotation group.
    /// </summary>
    protected abstract object Structure { get; }

    /// <summary>Whether <paramref name="other"/> is the same abstract group (same type and structure).</summary>
    public virtual bool Equals(Group? other) =>
        other is not null && (ReferenceEquals(this, other) || (other.GetType() == GetType() && Equals(other.Structure, Structure)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Group g && Equals(g);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(GetType(), Structure);

    /// <summary>Same abstract group.</summary>
    public static bool operator ==(Group? a, Group? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Different abstract groups.</summary>
    public static bool operator !=(Group? a, Group? b) => !(a == b);

    /// <summary>The name.</summary>
    public override string ToString() => Name;

    /// <summary>Checks that <paramref name="elements"/> belong to this group and returns them.</summary>
    protected GroupElements Own(GroupElements elements, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(elements))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(elements, name);
        if (!Equals(elements.Group))
            throw new ArgumentException($"{Name} cannot combine elements of {elements.Group}: pass elements drawn by {Name} (or an equal group).", name);
        return elements;
    }

    /// <summary>
    /// The batch size of a product a·b: the common size, or the other's when one batch has a single element.
    /// </summary>
    protected long ProductBatch(GroupElements a, GroupElements b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.BatchSize == b.BatchSize || b.BatchSize == 1) return a.BatchSize;
        if (a.BatchSize == 1) return b.BatchSize;
        throw new ArgumentException($"{Name}: cannot compose batches of {a.BatchSize} and {b.BatchSize} elements; pass equal batches or a batch of one.", nameof(b));
    }

    /// <summary>
    /// The values of <paramref name="t"/> for describing elements in reports: read now on the CPU, on first use
    /// elsewhere (so the law runs on a device without copying every result back).
    /// </summary>
    private protected static Func<T[]> Readback<T>(Tensor t) where T : unmanaged
    {
        var values = new Lazy<T[]>(() =>
        {
            using var cpu = t.detach().cpu().contiguous();
            return cpu.data<T>().ToArray();
        });
        if (t.device_type == DeviceType.CPU) _ = values.Value;
        return () => values.Value;
    }

    /// <summary>Checks the arguments every sampler takes.</summary>
    protected static void CheckSampleArguments(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        generator.RequireLive(nameof(generator));
    }

    /// <summary>The cyclic group C_<paramref name="order"/> (rotations by k/order turns, flips for order 2, cyclic shifts).</summary>
    /// <param name="order">The number of elements.</param>
    /// <param name="describe">Names element k in reports (default "k").</param>
    public static FiniteGroup Cyclic(int order, Func<int, string>? describe = null) => new CyclicGroup(order, describe);

    /// <summary>The dihedral group D_<paramref name="n"/> of the regular n-gon: 2n elements, e = n·f + k is "flip f times, then rotate by k".</summary>
    /// <param name="n">The number of rotations.</param>
    /// <param name="describe">Names element e in reports.</param>
    public static FiniteGroup Dihedral(int n, Func<int, string>? describe = null) => new DihedralGroup(n, describe);

    /// <summary>The trivial group {e}: the group of the identity action (an invariant output).</summary>
    public static FiniteGroup Trivial => TrivialGroup.Instance;

    /// <summary>The symmetric group S_<paramref name="n"/> of permutations of n items (elements are int64 permutation rows).</summary>
    public static Group Symmetric(int n) => new SymmetricGroup(n);

    /// <summary>
    /// The additive group R^<paramref name="dimension"/> (translations, log-scales, shears, brightness shifts, any
    /// one-parameter flow), each parameter drawn uniformly from <paramref name="range"/>.
    /// </summary>
    /// <param name="range">The interval each parameter comes from.</param>
    /// <param name="dimension">d (default 1).</param>
    /// <param name="generator">The one-parameter subgroup's direction (length d; default the first axis).</param>
    /// <param name="describe">Names one element's parameters in reports.</param>
    public static ContinuousGroup Real(ParameterRange range, int dimension = 1, double[]? generator = null, Func<double[], string>? describe = null) =>
        new RealGroup(range, dimension, generator, describe);

    /// <summary>SO(2), angles in radians drawn uniformly from <paramref name="range"/> (default the whole circle, Haar).</summary>
    public static ContinuousGroup PlaneRotation(ParameterRange? range = null, Func<double[], string>? describe = null) => new PlaneRotationGroup(range, describe);

    /// <summary>SO(3), Haar-random; elements are row-major 3×3 rotation matrices.</summary>
    public static Group SpaceRotation() => new SpaceRotationGroup();

    /// <summary>The direct product of <paramref name="factors"/>: one element of each per sample (the group of a composed transform).</summary>
    public static Group Product(params Group[] factors) => new ProductGroup(factors);

    /// <summary>
    /// A group defined by your own parametrisation: <paramref name="sample"/> draws one parameter row per sample
    /// (batch first); give its law (<paramref name="identity"/>, <paramref name="inverse"/>, <paramref name="compose"/>:
    /// all three or none) for checks that need it. Only the same object is the same group, so actions built with one
    /// such group share drawn elements.
    /// </summary>
    public static Group Custom(string name, Func<long, Generator, Tensor> sample,
        Func<long, Tensor>? identity = null, Func<Tensor, Tensor>? inverse = null, Func<Tensor, Tensor, Tensor>? compose = null) =>
        new CustomGroup(name, sample, identity, inverse, compose);
}
