namespace EquivarianceRegularizer.Groups;

/// <summary>
/// A group, as the object that draws its elements: transforms are its actions on tensors
/// (<see cref="EquivarianceRegularizer.Transforms.IGroupTransform.Group"/>). Two groups are equal when they are the same abstract group (C4 and C4, SO(2)
/// and SO(2)): elements drawn by one may then act through a transform of the other, which is how one drawn element
/// per sample drives both the input and the output action of a <see cref="EquivarianceRegularizer.Symmetry"/>. How the group samples (its
/// parameter range, a forced non-identity) does not enter equality: the input transform's group draws.
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

    /// <summary>Checks the arguments every sampler takes.</summary>
    protected static void CheckSampleArguments(long batch, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        generator.RequireLive(nameof(generator));
    }
}
