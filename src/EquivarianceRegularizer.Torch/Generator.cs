using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

/// <summary>A seeded CPU random number generator (libtorch's Philox/MT generator), like <c>torch.Generator</c>.</summary>
public sealed class Generator : IDisposable
{
    private IntPtr _handle;

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    public Generator(ulong seed = 67280421310721UL)
    {
        NativeMethods.Check(NativeMethods.ert_generator_new(seed, out _handle));
        InitialSeed = seed;
    }

    /// <summary>Finalizer: last-resort release.</summary>
    ~Generator() => Release();

    /// <summary>The seed the generator was created or last re-seeded with.</summary>
    public ulong InitialSeed { get; private set; }

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Generator));

    /// <summary>Re-seeds the generator.</summary>
    public Generator manual_seed(ulong seed)
    {
        NativeMethods.Check(NativeMethods.ert_generator_set_seed(Handle, seed));
        InitialSeed = seed;
        return this;
    }

    /// <summary>Releases the native generator.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) NativeMethods.ert_generator_free(h);
    }
}
