using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// A TorchScript model loaded once from an archive rewritten by <see cref="ScriptTapRewriter"/>: its
/// <see cref="Module"/> runs the original forward, and <see cref="ForwardWithTaps(Tensor, bool)"/> runs the same
/// parameters through the tapped twin, returning every submodule call's input and output. Since both live in one
/// loaded module, <c>Module.to(float64)</c>, <c>train()</c> and <c>eval()</c> apply to both.
/// </summary>
internal sealed class TappedScriptModule : IDisposable
{
    private bool disposed;

    private TappedScriptModule(jit.ScriptModule<Tensor, Tensor> module, ScriptTapRewriteResult rewrite)
    {
        Module = module;
        Rewrite = rewrite;
    }

    /// <summary>The loaded model; its <c>forward</c> is the original one.</summary>
    public jit.ScriptModule<Tensor, Tensor> Module { get; }

    /// <summary>What the rewrite did, including what it could not tap (<see cref="ScriptTapRewriteResult.Untapped"/>).</summary>
    internal ScriptTapRewriteResult Rewrite { get; }

    /// <summary>Rewrites <paramref name="archivePath"/> into a temporary file, loads that once, and deletes it.</summary>
    /// <param name="archivePath">A TorchScript archive whose forward takes tensors and returns one tensor.</param>
    /// <param name="load">
    /// Loads the rewritten archive; defaults to <c>torch.jit.load&lt;Tensor, Tensor&gt;</c>. Pass a guarded loader
    /// (one that probes a file in a child process first) where a bad archive must not abort the process.
    /// </param>
    public static TappedScriptModule Load(string archivePath, Func<string, jit.ScriptModule<Tensor, Tensor>>? load = null)
    {
        string rewritten = Path.Combine(Path.GetTempPath(), $"eqv-taps-{Guid.NewGuid():N}.pt");
        try
        {
            return Load(ScriptTapRewriter.Rewrite(archivePath, rewritten), load);
        }
        finally
        {
            File.Delete(rewritten);
        }
    }

    /// <summary>
    /// Checks <paramref name="archivePath"/> (<see cref="TorchScriptArchive.Verify"/>), rewrites it for taps, and — for
    /// <see cref="ScriptLoadSafety.ChildProcessProbe"/> — loads the original and the rewritten archive in one model
    /// probe before loading the rewritten one here: one child process for both, and the original's own libtorch error
    /// (an unknown operator, code that does not compile) is what the caller sees.
    /// </summary>
    /// <exception cref="TorchScriptLoadException">The archive, or its rewritten copy, would not load.</exception>
    public static TappedScriptModule Load(string archivePath, ScriptLoadSafety safety, TimeSpan? probeTimeout = null)
    {
        var full = TorchScriptArchive.Verify(archivePath);
        string rewritten = Path.Combine(Path.GetTempPath(), $"eqv-taps-{Guid.NewGuid():N}.pt");
        try
        {
            ScriptTapRewriteResult rewrite;
            try
            {
                rewrite = ScriptTapRewriter.Rewrite(full, rewritten);
            }
            catch (Exception e) when (e is NotSupportedException or InvalidDataException or FormatException)
            {
                // The rewriter could not read the code: let libtorch's verdict on the original speak first.
                if (safety == ScriptLoadSafety.ChildProcessProbe && TorchScriptProbe.ProbeArchives([full], probeTimeout)[0] is { } original) throw original;
                throw;
            }
            if (safety == ScriptLoadSafety.ChildProcessProbe)
            {
                var failures = TorchScriptProbe.ProbeArchives([full, rewritten], probeTimeout);
                if (failures[0] is { } original) throw original;
                if (failures[1] is { } copy) throw copy;
            }
            return Load(rewrite, path => TorchScriptLoader.Load(path, ScriptLoadSafety.InProcess));
        }
        finally
        {
            File.Delete(rewritten);
        }
    }

    /// <summary>Loads an archive <see cref="ScriptTapRewriter.Rewrite(string, string)"/> already wrote.</summary>
    /// <param name="rewrite">The rewrite's result; its <see cref="ScriptTapRewriteResult.RewrittenPath"/> is loaded.</param>
    /// <param name="load">Loads the rewritten archive; defaults to <c>torch.jit.load&lt;Tensor, Tensor&gt;</c>.</param>
    internal static TappedScriptModule Load(ScriptTapRewriteResult rewrite, Func<string, jit.ScriptModule<Tensor, Tensor>>? load = null)
    {
        ArgumentNullException.ThrowIfNull(rewrite);
        load ??= path => jit.load<Tensor, Tensor>(path);
        jit.ScriptModule<Tensor, Tensor>? module;
        try
        {
            module = load(rewrite.RewrittenPath);
        }
        catch (ExternalException e)
        {
            // libtorch's own message names the file and line of the source it could not compile.
            throw new InvalidOperationException($"libtorch could not load the tap-rewritten copy of the model ('{rewrite.RewrittenPath}'): {FirstLines(e.Message)} The original archive is untouched; load it without taps.", e);
        }
        return new TappedScriptModule(module ?? throw new InvalidOperationException($"The load delegate returned no module for '{rewrite.RewrittenPath}'."), rewrite);
    }

    /// <summary>
    /// Runs forward once on <paramref name="x"/> and returns its output with one <see cref="ScriptTap"/> per
    /// submodule call, in the order PyTorch's forward hooks fire (a child's own calls before the child; a child
    /// called twice gives two taps). The output equals <c>Module.forward(x)</c>. The tensors belong to the
    /// caller's dispose scope.
    /// </summary>
    /// <param name="x">The model's input.</param>
    /// <param name="copyTaps">
    /// False (default): taps are the tensors the forward used, so they stay on the autograd path (a gradient of the
    /// output with respect to a tap's Output can be taken), but an in-place op that runs later, such as
    /// <c>ReLU(inplace=True)</c> after a convolution, changes them. True: taps are copies made as each call saw
    /// them, as PyTorch's hooks see them, immune to later in-place ops but off the output's autograd path.
    /// </param>
    internal (Tensor Output, IReadOnlyList<ScriptTap> Taps) ForwardWithTaps(Tensor x, bool copyTaps = false)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(x);
        var result = Module.invoke(copyTaps ? Rewrite.CopyingEntryMethodName : Rewrite.EntryMethodName, x);
        if (result is not Tensor[] tensors)
            throw new InvalidOperationException($"The tapped forward returned {result?.GetType().Name ?? "nothing"}, not a list of tensors; the archive was not rewritten by ScriptTapRewriter.");
        return ScriptTapDecoder.Decode(tensors, Rewrite);
    }

    /// <summary>
    /// Like <see cref="ForwardWithTaps(Tensor, bool)"/>, with <paramref name="addends"/>[k] added to the output of
    /// submodule call k (completion order, as the taps come) as the call returns, before anything uses it; an empty
    /// tensor (no elements) adds nothing, and calls past the end of the list get nothing.
    /// </summary>
    public (Tensor Output, IReadOnlyList<ScriptTap> Taps) ForwardAdding(Tensor x, IReadOnlyList<Tensor> addends, bool copyTaps = true)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(addends);
        var result = Module.invoke(Rewrite.AddingEntryMethodName, x, addends.ToArray(), copyTaps);
        if (result is not Tensor[] tensors)
            throw new InvalidOperationException($"The tapped forward returned {result?.GetType().Name ?? "nothing"}, not a list of tensors; the archive was not rewritten by ScriptTapRewriter.");
        return ScriptTapDecoder.Decode(tensors, Rewrite);
    }

    private static string FirstLines(string message) => string.Join(" ", message.Split('\n').Take(4).Select(l => l.Trim()));

    /// <summary>Disposes the loaded module.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Module.Dispose();
    }
}
