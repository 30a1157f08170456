namespace EquivarianceRegularizer.Jit;

/// <summary>Why a TorchScript archive (or TorchScript source) could not be loaded: the <see cref="TorchScriptLoadException.Reason"/>.</summary>
public enum TorchScriptLoadFailure
{
    /// <summary>The path names no file (nothing there, or a directory).</summary>
    NotFound,

    /// <summary>The file is not a zip archive at all (e.g. a legacy pickle, or a file cut short before its directory).</summary>
    NotAnArchive,

    /// <summary>A valid zip archive without TorchScript code, such as a <c>torch.save</c> state dict.</summary>
    NotTorchScript,

    /// <summary>The archive's structure, sizes or CRC-32 checks are wrong: the file was damaged.</summary>
    Corrupt,

    /// <summary>The archive's format version is newer than this libtorch reads (a model from a newer PyTorch).</summary>
    UnsupportedVersion,

    /// <summary>The model's code calls an operator this libtorch does not know (a model from a newer PyTorch, or damaged code).</summary>
    UnknownOperator,

    /// <summary>libtorch's TorchScript compiler rejected the code (damaged code, or a construct this libtorch does not support).</summary>
    CodeDoesNotCompile,

    /// <summary>libtorch raised some other error while loading (its message is in <see cref="TorchScriptLoadException.LibtorchMessage"/>).</summary>
    LoadFailed,

    /// <summary>The model probe process died while loading the file without an error text (e.g. a segmentation fault).</summary>
    LoaderCrashed,

    /// <summary>The model probe process did not finish within its time limit and was stopped.</summary>
    ProbeTimedOut,

    /// <summary>The model probe could not be found or started (see the message for what to do).</summary>
    ProbeUnavailable,
}
