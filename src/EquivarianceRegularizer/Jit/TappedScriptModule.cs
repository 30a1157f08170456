using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// A TorchScript model loaded once from an archive rewritten by <see cref="ScriptTapRewriter"/>: its
/// <see cref="Module"/> runs the original forward, and <see cref="ForwardWithTaps(Tensor)"/> runs the same
/// parameters through the tapped twin, returning every submodule call's input and output. Since both live in one
/// loaded module, <c>Module.to(float64)</c>, <c>train()</c> and <c>eval()</c> apply to both.
/// </summary>
public sealed class TappedScriptModule : IDisposable
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
    public ScriptTapRewriteResult Rewrite { get; }

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

    /// <summary>Loads an archive <see cref="ScriptTapRewriter.Rewrite(string, string)"/> already wrote.</summary>
    /// <param name="rewrite">The rewrite's result; its <see cref="ScriptTapRewriteResult.RewrittenPath"/> is loaded.</param>
    /// <param name="load">Loads the rewritten archive; defaults to <c>torch.jit.load&lt;Tensor, Tensor&gt;</c>.</param>
    public static TappedScriptModule Load(ScriptTapRewriteResult rewrite, Func<string, jit.ScriptModule<Tensor, Tensor>>? load = null)
    {
        ArgumentNullException.ThrowIfNull(rewrite);
        load ??= path => jit.load<Tensor, Tensor>(path);
        var module = load(rewrite.RewrittenPath)
            ?? throw new InvalidOperationException($"The load delegate returned no module for '{rewrite.RewrittenPath}'.");
        return new TappedScriptModule(module, rewrite);
    }

    /// <summary>
    /// Runs forward once on <paramref name="x"/> and returns its output with one <see cref="ScriptTap"/> per
    /// submodule call, in the order PyTorch's forward hooks fire (a child's own calls before the child; a child
    /// called twice gives two taps). The output equals <c>Module.forward(x)</c>. The tensors belong to the
    /// caller's dispose scope and stay in the autograd graph.
    /// </summary>
    /// <param name="x">The model's input.</param>
    public (Tensor Output, IReadOnlyList<ScriptTap> Taps) ForwardWithTaps(Tensor x)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(x);
        var result = Module.invoke(Rewrite.EntryMethodName, x);
        if (result is not Tensor[] tensors)
            throw new InvalidOperationException($"The tapped forward returned {result?.GetType().Name ?? "nothing"}, not a list of tensors; the archive was not rewritten by ScriptTapRewriter.");
        return ScriptTapDecoder.Decode(tensors, Rewrite);
    }

    /// <summary>Disposes the loaded module.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Module.Dispose();
    }
}
