using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// The libtorch C++ functions forward mode needs, called through their exported symbols: the process-wide
/// forward-AD level counter, <c>torch::autograd::ForwardADLevel::get_next_idx()</c> and <c>release_idx(uint64_t)</c>
/// (torch/csrc/autograd/forward_grad.h), and TorchScript's per-thread optimisation switch,
/// <c>torch::jit::get/setGraphExecutorOptimize</c> (torch/csrc/jit/python/update_graph_executor_opt.h).
/// </summary>
/// <remarks>
/// These are raw C++ functions: an exception they throw (a nested level, a release out of order) cannot cross into
/// .NET and ends the process. Callers must therefore hold <see cref="ForwardModeSupport.LevelLock"/>, open at most one
/// level at a time and release exactly the index they got; <see cref="ForwardModeJvp"/> is the only caller.
/// </remarks>
internal sealed unsafe class ForwardAdNativeFunctions
{
    // Itanium C++ ABI names (GCC and Clang: Linux, macOS), then MSVC names (Windows). A mangled name encodes the full
    // signature, so a symbol found under one of these names has exactly the signature called here.
    private static readonly string[] NextIndexNames =
        ["_ZN5torch8autograd14ForwardADLevel12get_next_idxEv", "?get_next_idx@ForwardADLevel@autograd@torch@@SA_KXZ"];
    private static readonly string[] ReleaseIndexNames =
        ["_ZN5torch8autograd14ForwardADLevel11release_idxEm", "?release_idx@ForwardADLevel@autograd@torch@@SAX_K@Z"];

    // Once warmed up, TorchScript's profiling executor runs differentiable subgraphs (prim::DifferentiableGraph)
    // whose outputs carry no forward-mode tangent: measured on libtorch 2.10, a script module's tangent vanished on
    // the third call with grad enabled. A subgraph inside a residual block would lose part of the tangent silently,
    // so forward mode runs TorchScript unoptimised on its thread (a thread_local flag; setting it cannot throw).
    private static readonly string[] GetOptimizeNames =
        ["_ZN5torch3jit24getGraphExecutorOptimizeEv", "?getGraphExecutorOptimize@jit@torch@@YA_NXZ"];
    private static readonly string[] SetOptimizeNames =
        ["_ZN5torch3jit24setGraphExecutorOptimizeEb", "?setGraphExecutorOptimize@jit@torch@@YAX_N@Z"];

    // The ATen operators the dual-tensor script calls; checked before compiling it, because a TorchScript compile
    // error is a C++ exception TorchSharp does not catch (it aborts the process).
    private static readonly string[] RequiredOperatorNames =
        ["_ZN2at4_ops10_make_dual4callERKNS_6TensorES4_l", "_ZN2at4_ops12_unpack_dual4callERKNS_6TensorEl"];

    private readonly delegate* unmanaged<ulong> _nextIndex;
    private readonly delegate* unmanaged<ulong, void> _releaseIndex;
    private readonly delegate* unmanaged<byte> _getOptimize;
    private readonly delegate* unmanaged<byte, void> _setOptimize;

    private ForwardAdNativeFunctions(IntPtr nextIndex, IntPtr releaseIndex, IntPtr getOptimize, IntPtr setOptimize)
    {
        _nextIndex = (delegate* unmanaged<ulong>)nextIndex;
        _releaseIndex = (delegate* unmanaged<ulong, void>)releaseIndex;
        _getOptimize = (delegate* unmanaged<byte>)getOptimize;
        _setOptimize = (delegate* unmanaged<byte, void>)setOptimize;
    }

    /// <summary>Resolves both functions in the loaded libtorch, or returns null with the reason.</summary>
    public static ForwardAdNativeFunctions? TryResolve(out string? reason)
    {
        var library = LoadedLibtorch.TryFind(out reason);
        if (library is null) return null;
        var handle = library.Value;
        if (!TryGetAnyExport(handle, NextIndexNames, out var next) || !TryGetAnyExport(handle, ReleaseIndexNames, out var release))
        {
            reason = "libtorch does not export torch::autograd::ForwardADLevel::get_next_idx/release_idx under a known name.";
            return null;
        }
        if (!TryGetAnyExport(handle, GetOptimizeNames, out var getOptimize) || !TryGetAnyExport(handle, SetOptimizeNames, out var setOptimize))
        {
            reason = "libtorch does not export torch::jit::get/setGraphExecutorOptimize under a known name.";
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
        return new ForwardAdNativeFunctions(next, release, getOptimize, setOptimize);
    }

    /// <summary>Opens the (single) forward-AD level and returns its index. Caller holds the level lock.</summary>
    public ulong OpenLevel() => _nextIndex();

    /// <summary>Closes the level opened by <see cref="OpenLevel"/>; libtorch clears every tangent of that level.</summary>
    public void CloseLevel(ulong index) => _releaseIndex(index);

    /// <summary>Whether TorchScript optimises graphs on this thread.</summary>
    public bool GraphExecutorOptimize
    {
        get => _getOptimize() != 0;
        set => _setOptimize(value ? (byte)1 : (byte)0);
    }

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
