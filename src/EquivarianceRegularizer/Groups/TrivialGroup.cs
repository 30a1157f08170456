namespace EquivarianceRegularizer.Groups;

/// <summary>The trivial group {e}: it acts on outputs of an invariance.</summary>
public sealed class TrivialGroup : FiniteGroup
{
    private TrivialGroup() : base("trivial", 1, _ => "identity") { }

    /// <summary>The instance.</summary>
    public static TrivialGroup Instance { get; } = new();
}
