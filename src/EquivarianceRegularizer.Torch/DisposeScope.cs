namespace EquivarianceRegularizer.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope and disposes them when the
/// scope is disposed. Scopes are per thread: a tensor made on another thread never joins this one.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? t_current;

    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        Outer = t_current;
        t_current = this;
    }

    /// <summary>The innermost scope of the calling thread, or null.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>The scope that was current when this one was opened.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>How many tensors this scope holds.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor tensor) => _tensors.Add(tensor);

    internal bool Remove(Tensor tensor) => _tensors.Remove(tensor);

    /// <summary>Moves <paramref name="tensor"/> to the outer scope (or detaches it when there is none).</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_tensors.Remove(tensor)) Outer?.Add(tensor);
        tensor.Scope = Outer;
        return tensor;
    }

    /// <summary>Disposes every tensor the scope holds and makes the outer scope current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
        // Scopes are normally disposed innermost-first; if not, unlink this one from the chain.
        if (ReferenceEquals(t_current, this)) t_current = Outer;
    }
}
