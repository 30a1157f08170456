using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// libtorch's process-wide forward-AD level counter, <c>torch::autograd::ForwardADLevel::get_next_idx()</c> and
/// <c>release_idx(uint64_t)</c> (torch/csrc/autograd/forward_grad.h), called through their exported C++ symbols.
/// </summary>
/// <remarks>
/// These are raw C++ functions: an exception they throw (a nested level, a release out of order) cannot cross into
/// .NET and ends the process. Callers must therefore hold <see cref="ForwardModeSupport.LevelLock"/>, open at most one
/// level at a time and release exactly the index they got; <see cref="ForwardModeJvp"/> is the only caller.
/// </remarks>
internal sealed unsafe class ForwardAdLevelFunctions
{
    // Itanium C++ ABI names (GCC and Clang: Linux, macOS), then MSVC names (Windows). A mangled name encodes the full
    // signature, so a symbol found under one of these names has exactly the signature called here.
    private static readonly string[] NextIndexNames =
        ["_ZN5torch8autograd14ForwardADLevel12get_next_idxEv", "?get_next_idx@ForwardADLevel@autograd@torch@@SA_KXZ"];
    private static readonly string[] ReleaseIndexNames =
        ["_ZN5torch8autograd14ForwardADLevel11release_idxEm", "?release_idx@ForwardADLevel@autograd@torch@@SAX_K@Z"];

    // The ATen operators the dual-tensor script calls; checked before compiling it, because a TorchScript compile
    // error is a C++ exception TorchSharp does not catch (it aborts the process).
    private static readonly string[] RequiredOperatorNames =
        ["_ZN2at4_ops10_make_dual4callERKNS_6TensorES4_l", "_ZN2at4_ops12_unpack_dual4callERKNS_6TensorEl"];

    private readonly delegate* unmanaged<ulong> _nextIndex;
    private readonly delegate* unmanaged<ulong, void> _releaseIndex;

    private ForwardAdLevelFunctions(IntPtr nextIndex, IntPtr releaseIndex)
    {
        _nextIndex = (delegate* unmanaged<ulong>)nextIndex;
        _releaseIndex = (delegate* unmanaged<ulong, void>)releaseIndex;
    }

    /// <summary>Resolves both functions in the loaded libtorch, or returns null with the reason.</summary>
    public static ForwardAdLevelFunctions? TryResolve(out string? reason)
    {
        var library = LoadedLibtorch.TryFind(out reason);
        if (library is null) return null;
        var handle = library.Value;
        if (!TryGetAnyExport(handle, NextIndexNames, out var next) || !TryGetAnyExport(handle, ReleaseIndexNames, out var release))
        {
            reason = "libtorch does not export torch::autograd::ForwardADLevel::get_next_idx/release_idx under a known name.";
            return null;
        }
        // On Windows the operators' names are mangled differently; there the pinned libtorch version vouches for them.
        if (!OperatingSystem.IsWindows())
        {
            foreach (var op in RequiredOperatorNames)
            {
                if (!NativeLibrary.TryGetExport(handle, op, out _))
                {
                    reason = "libtorch has no _make_dual/_unpack_dual operators.";
                    return null;
                }
            }
        }
        return new ForwardAdLevelFunctions(next, release);
    }

    /// <summary>Opens the (single) forward-AD level and returns its index. Caller holds the level lock.</summary>
    public ulong OpenLevel() => _nextIndex();

    /// <summary>Closes the level opened by <see cref="OpenLevel"/>; libtorch clears every tangent of that level.</summary>
    public void CloseLevel(ulong index) => _releaseIndex(index);

    private static bool TryGetAnyExport(IntPtr handle, string[] names, out IntPtr address)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryGetExport(handle, name, out address)) return true;
        }
        address = IntPtr.Zero;
        return false;
    }
}
