using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// Hands the C heap's free pages back to the system between the chunks of the layer and gradient phases. glibc raises
/// its mmap threshold after large blocks are freed, so libtorch's activations of later chunks come from heap arenas
/// that keep their pages: without a trim the resident memory creeps up from chunk to chunk. A no-op where the C
/// library has no <c>malloc_trim</c> (not glibc).
/// </summary>
internal static unsafe class HeapTrim
{
    private static readonly delegate* unmanaged<nuint, int> Trim = Find();

    public static void Now()
    {
        if (Trim != null) _ = Trim(0);
    }

    private static delegate* unmanaged<nuint, int> Find()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return null;
        return NativeLibrary.TryGetExport(libc, "malloc_trim", out var f) ? (delegate* unmanaged<nuint, int>)f : null;
    }
}
