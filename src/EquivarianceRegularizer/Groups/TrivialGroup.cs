namespace EquivarianceRegularizer.Groups;

/// <summary>The trivial group {e}: it acts on outputs of an invariance.</summary>
internal sealed class TrivialGroup : FiniteGroup
{
    private TrivialGroup() : base("trivial", 1, _ => "identity") { }

    /// <summary>The instance.</summary>
    public static TrivialGroup Instance { get; } = new();

    /// <inheritdoc/>
    protected override Tensor ComposeIndices(Tensor a, Tensor b) => zeros_like(a);

    /// <inheritdoc/>
    protected override Tensor InverseIndices(Tensor g) => zeros_like(g);
}
