namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Where libtorch first compiles a TorchScript archive or source. libtorch's TorchScript compiler throws an exception
/// that TorchSharp 0.107's native layer does not catch (<c>torch::jit::ErrorReport</c>), so code that does not compile
/// aborts the process that compiles it; only a separate process can contain that. See docs/untrusted-models.md.
/// </summary>
public enum ScriptLoadSafety
{
    /// <summary>
    /// Check the archive (<see cref="TorchScriptArchive.Verify"/>) and load it in this process. Fast; for files you
    /// trust: a damaged or too-new model whose code does not compile still aborts this process.
    /// </summary>
    InProcess,

    /// <summary>
    /// Check the archive, then load it once in a child process (the model probe) and only load it here if that
    /// succeeded. For untrusted files: costs one process start (about a second) per load.
    /// </summary>
    ChildProcessProbe,
}
