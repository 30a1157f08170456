namespace EquivarianceRegularizer.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope and disposes them when the
/// scope is disposed. Scopes are per thread: a tensor made on another thread never joins this one. A scope must be
/// disposed on the thread that opened it (use <c>using</c>); the tensors of one that is never disposed are released
/// only after the GC collects them.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? t_current;

    // Tensors by slot; a disposed tensor leaves a null. Tensors are usually disposed in reverse creation order
    // (using var ...), so trailing nulls are trimmed at once and the list stays short.
    private Tensor?[] _items = new Tensor?[8];
    private int _end;
    private int _count;
    private bool _disposed;

    internal DisposeScope()
    {
        Outer = t_current;
        t_current = this;
    }

    /// <summary>
    /// Last resort for a scope that was never disposed (its thread ended with it open): each tensor it still holds
    /// becomes unscoped, so it is released when it is itself collected. Releasing them here could free tensors that
    /// another thread still uses.
    /// </summary>
    ~DisposeScope()
    {
        for (int i = 0; i < _end; i++) _items[i]?.BecomeUnscoped();
    }

    /// <summary>The innermost scope of the calling thread, or null.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>The scope that was current when this one was opened.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>How many tensors this scope holds.</summary>
    public int Count => _count;

    internal void Add(Tensor tensor)
    {
        if (_end == _items.Length) MakeRoom();
        tensor.Scope = this;
        tensor.ScopeSlot = _end;
        _items[_end++] = tensor;
        _count++;
    }

    internal bool Remove(Tensor tensor)
    {
        int slot = tensor.ScopeSlot;
        if (!ReferenceEquals(tensor.Scope, this) || (uint)slot >= (uint)_end || !ReferenceEquals(_items[slot], tensor)) return false;
        _items[slot] = null;
        _count--;
        tensor.Scope = null;
        while (_end > 0 && _items[_end - 1] is null) _end--;
        return true;
    }

    private void MakeRoom()
    {
        if (_count <= _end / 2)
        {
            // Mostly holes: compact in place.
            int w = 0;
            for (int r = 0; r < _end; r++)
            {
                var t = _items[r];
                if (t is null) continue;
                t.ScopeSlot = w;
                _items[w++] = t;
            }
            Array.Clear(_items, w, _end - w);
            _end = w;
        }
        else
        {
            Array.Resize(ref _items, _items.Length * 2);
        }
    }

    /// <summary>Moves <paramref name="tensor"/> to the outer scope (or hands it to the caller when there is none).</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Remove(tensor)) return tensor;
        if (Outer is { } outer) outer.Add(tensor);
        else tensor.BecomeUnscoped();
        return tensor;
    }

    /// <summary>Disposes every tensor the scope holds and makes the outer scope current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = 0; i < _end; i++)
        {
            var t = _items[i];
            if (t is null) continue;
            _items[i] = null;
            t.Scope = null;
            t.ReleaseNative();
        }
        _end = 0;
        _count = 0;
        GC.SuppressFinalize(this);
        // Scopes are normally disposed innermost-first; if not, unlink this one from the chain.
        if (ReferenceEquals(t_current, this)) t_current = Outer;
    }
}
