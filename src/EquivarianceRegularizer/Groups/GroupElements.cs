namespace EquivarianceRegularizer.Groups;

/// <summary>
/// Group elements drawn for a batch: one row per sample. <see cref="Values"/> is float64 (batch × d) or int64
/// for index-valued groups (e.g. permutations); the group that drew them defines how to read them.
/// Sharing one <see cref="GroupElements"/> between an input and an output transform is what makes a random
/// transform act identically on both.
/// </summary>
public sealed class GroupElements : IDisposable
{
    /// <summary>Wraps drawn parameters; takes ownership of <paramref name="values"/>.</summary>
    public GroupElements(Group group, Tensor values, Func<int, string>? describe = null, IReadOnlyList<GroupElements>? parts = null)
    {
        ArgumentNullException.ThrowIfNull(group);
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

    /// <summary>The group the elements belong to.</summary>
    public Group Group { get; }

    /// <summary>One row of parameters per sample.</summary>
    public Tensor Values { get; }

    /// <summary>Number of samples.</summary>
    public long BatchSize { get; }

    /// <summary>Human-readable description of sample <paramref name="i"/>'s element (for reports).</summary>
    public string Describe(int i) => _describe?.Invoke(i) ?? $"{Group} element #{i}";

    // For functions that draw their own random numbers: the default generator's state at the draw, replayed by every
    // application so that input and output see the same numbers.
    internal GeneratorSnapshot? GeneratorSnapshot { get; set; }

    /// <summary>Releases <see cref="Values"/>.</summary>
    public void Dispose()
    {
        Values.Dispose();
        GeneratorSnapshot?.Dispose();
        foreach (var p in Parts) p.Dispose();
    }
}
