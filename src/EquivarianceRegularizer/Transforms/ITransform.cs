
namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Group elements drawn for a batch: one row per sample. <see cref="Values"/> is float64 (batch × d) or int64
/// for index-valued groups (e.g. permutations); the transform that drew them knows how to read them.
/// Sharing one <see cref="GroupElements"/> between an input and an output transform is what makes a random
/// transform act identically on both.
/// </summary>
public sealed class GroupElements : IDisposable
{
    /// <summary>Wraps drawn parameters; takes ownership of <paramref name="values"/>.</summary>
    public GroupElements(string group, Tensor values, Func<int, string>? describe = null, IReadOnlyList<GroupElements>? parts = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        ArgumentNullException.ThrowIfNull(values);
        Group = group;
        Values = values.DetachFromDisposeScope();
        BatchSize = values.Rank() == 0 ? 1 : values.size(0);
        _describe = describe;
        Parts = parts ?? Array.Empty<GroupElements>();
    }

    /// <summary>For a composition, the elements of each factor in order (empty otherwise).</summary>
    public IReadOnlyList<GroupElements> Parts { get; }

    private readonly Func<int, string>? _describe;

    /// <summary>The group the elements belong to (e.g. "C4", "SO(2)", "S_n(axis 0)").</summary>
    public string Group { get; }

    /// <summary>One row of parameters per sample.</summary>
    public Tensor Values { get; }

    /// <summary>Number of samples.</summary>
    public long BatchSize { get; }

    /// <summary>Human-readable description of sample <paramref name="i"/>'s element (for reports).</summary>
    public string Describe(int i) => _describe?.Invoke(i) ?? $"{Group} element #{i}";

    /// <summary>Releases <see cref="Values"/>.</summary>
    public void Dispose()
    {
        Values.Dispose();
        foreach (var p in Parts) p.Dispose();
    }
}

/// <summary>
/// A transform: a representation of a group acting on tensors whose first axis is the batch. It samples group
/// elements (one per sample) and applies given elements. Input and output transforms whose
/// <see cref="Group"/> is equal share drawn elements.
/// </summary>
public interface ITransform
{
    /// <summary>Short name used in reports and on the command line (e.g. "rot90").</summary>
    string Name { get; }

    /// <summary>The group acting; transforms with the same group can share drawn elements.</summary>
    string Group { get; }

    /// <summary>Draws <paramref name="batch"/> elements (Haar/uniform over the group unless documented otherwise).</summary>
    GroupElements Sample(long batch, Generator generator);

    /// <summary>Applies sample i's element to x[i] for every i. x's first axis is the batch.</summary>
    Tensor Apply(Tensor x, GroupElements elements);
}

/// <summary>A transform of a finite group: the audit enumerates its elements instead of sampling.</summary>
public interface IFiniteTransform : ITransform
{
    /// <summary>Number of group elements, identity included.</summary>
    int Order { get; }

    /// <summary>Element <paramref name="index"/> (0 is the identity) repeated for a batch.</summary>
    GroupElements Element(int index, long batch);
}

/// <summary>
/// A transform of a continuous (Lie) group with a one-parameter subgroup g_t. It exposes the Lie-algebra
/// generator through its action: <see cref="Tangent"/> is d/dt ρ(g_t)x at t = 0.
/// </summary>
public interface IContinuousTransform : ITransform
{
    /// <summary>Applies g_t with the same t to every sample (t = 0 is the identity).</summary>
    Tensor ApplyAt(Tensor x, double t);

    /// <summary>The infinitesimal action d/dt ρ(g_t)x at t = 0 (the generator applied to x).</summary>
    Tensor Tangent(Tensor x);

    /// <summary>Whether the action is exact on a pixel grid (false for interpolating image transforms).</summary>
    bool IsExactOnGrid { get; }
}
