using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// The project's one way into TorchScript: every archive (a user's model, an archive rewritten for layer taps) and
/// every helper source goes through here, so a file that libtorch cannot compile becomes a
/// <see cref="TorchScriptLoadException"/> instead of an abort of the process. See docs/untrusted-models.md.
/// </summary>
public static class TorchScriptLoader
{
    /// <summary>Loads a TorchScript module taking and returning one tensor, after the checks <paramref name="safety"/> names.</summary>
    /// <param name="path">The .pt file (torch.jit.save).</param>
    /// <param name="safety"><see cref="ScriptLoadSafety.InProcess"/> for trusted files; <see cref="ScriptLoadSafety.ChildProcessProbe"/> for anything else.</param>
    /// <param name="probeTimeout">Bound on the probe; <see cref="TorchScriptProbe.DefaultTimeout"/> when null.</param>
    /// <exception cref="TorchScriptLoadException">The file cannot be loaded; <see cref="TorchScriptLoadException.Reason"/> says why.</exception>
    public static jit.ScriptModule<Tensor, Tensor> Load(string path, ScriptLoadSafety safety, TimeSpan? probeTimeout = null)
    {
        var full = Vet(path, safety, probeTimeout);
        try
        {
            return jit.load<Tensor, Tensor>(full);
        }
        catch (ExternalException e)
        {
            throw LibtorchErrorText.Classify(e.Message, full, e);
        }
    }

    /// <summary>
    /// Checks <paramref name="path"/> as <see cref="Load"/> would, without loading it here: <see cref="TorchScriptArchive.Verify"/>,
    /// then, for <see cref="ScriptLoadSafety.ChildProcessProbe"/>, one load in the model probe. Use it for a file this
    /// process made (an archive rewritten for taps) before handing it to <c>torch.jit.load</c>.
    /// </summary>
    /// <returns>The file's full path.</returns>
    /// <exception cref="TorchScriptLoadException">The file would not load.</exception>
    public static string Vet(string path, ScriptLoadSafety safety, TimeSpan? probeTimeout = null)
    {
        CheckSafety(safety);
        var full = TorchScriptArchive.Verify(path);
        if (safety == ScriptLoadSafety.ChildProcessProbe && TorchScriptProbe.ProbeArchives([full], probeTimeout)[0] is { } failure) throw failure;
        return full;
    }

    /// <summary>Compiles TorchScript source (free functions, as <c>torch.jit.compile</c>), first in the model probe when <paramref name="safety"/> asks.</summary>
    /// <param name="source">The TorchScript source.</param>
    /// <param name="safety">Where it is compiled first.</param>
    /// <param name="probeTimeout">Bound on the probe; <see cref="TorchScriptProbe.DefaultTimeout"/> when null.</param>
    /// <exception cref="TorchScriptLoadException">The source does not compile.</exception>
    public static jit.CompilationUnit Compile(string source, ScriptLoadSafety safety, TimeSpan? probeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckSafety(safety);
        if (safety == ScriptLoadSafety.ChildProcessProbe && TorchScriptProbe.ProbeSource(source, probeTimeout) is { } failure) throw failure;
        try
        {
            return jit.compile(source);
        }
        catch (ExternalException e)
        {
            throw LibtorchErrorText.Classify(e.Message, null, e);
        }
    }

    /// <summary>
    /// Compiles one of the library's own helper sources (bicubic grid sampling, the forward-AD dual helpers) behind the
    /// same guard: first in the model probe, so a source libtorch cannot compile is an exception, not an abort. Where the
    /// probe cannot run (a single-file app), the fixed, tested source is compiled in this process. Callers cache the
    /// unit, so the probe costs one process start per helper and process.
    /// </summary>
    internal static jit.CompilationUnit CompileLibrarySource(string source)
    {
        try
        {
            return Compile(source, ScriptLoadSafety.ChildProcessProbe);
        }
        catch (TorchScriptLoadException e) when (e.Reason == TorchScriptLoadFailure.ProbeUnavailable)
        {
            return Compile(source, ScriptLoadSafety.InProcess);
        }
    }

    private static void CheckSafety(ScriptLoadSafety safety)
    {
        if (!Enum.IsDefined(safety))
            throw new ArgumentOutOfRangeException(nameof(safety), safety, "Use ScriptLoadSafety.InProcess or ScriptLoadSafety.ChildProcessProbe.");
    }
}
