using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// J_f(x)·v by libtorch's forward-mode AD: one forward pass of f on the dual tensor x + εv inside a forward-AD level,
/// then the output's tangent is read off. Arguments are validated by <see cref="Jvp"/>.
/// </summary>
internal static class ForwardModeJvp
{
    /// <summary>
    /// Computes (f(x), J·v). Throws <see cref="ForwardModeNotApplicableException"/> where forward mode cannot give the
    /// answer (the caller may fall back); any other exception comes from f itself.
    /// </summary>
    public static (Tensor Output, Tensor Tangent) Compute(
        ForwardModeSupport support, Func<Tensor, Tensor> f, Tensor x, Tensor v, bool createGraph)
    {
        var functions = support.Functions ?? throw new ForwardModeNotApplicableException(
            $"forward mode is unavailable: {support.UnavailableReason}");
        var script = support.Script!;

        // The lock is re-entrant: a jvp started from inside f on this thread would open a second level.
        if (Monitor.IsEntered(ForwardModeSupport.LevelLock))
            throw new ForwardModeNotApplicableException(
                "forward mode cannot nest: this jvp was started from inside the function of another forward-mode jvp.");

        lock (ForwardModeSupport.LevelLock)
        {
            bool optimize = functions.GraphExecutorOptimize;
            ulong level = functions.OpenLevel();
            try
            {
                functions.GraphExecutorOptimize = false; // see ForwardAdNativeFunctions: no tangent-dropping subgraphs
                if (level != 0)
                    throw new ForwardModeNotApplicableException(
                        $"libtorch opened forward-AD level {level}, where level 0 was expected.");
                return RunInsideLevel(script, f, x, v, createGraph);
            }
            finally
            {
                functions.GraphExecutorOptimize = optimize;
                // Clears every tangent of the level; the tangent returned keeps its own storage.
                functions.CloseLevel(level);
            }
        }
    }

    private static (Tensor Output, Tensor Tangent) RunInsideLevel(
        DualTensorScript script, Func<Tensor, Tensor> f, Tensor x, Tensor v, bool createGraph)
    {
        using var scope = NewDisposeScope();
        // Forward AD does not need the reverse graph; build it only when the tangent must be trained through.
        using var gradMode = enable_grad(createGraph);

        var dual = script.MakeDual(x, v);
        Tensor y;
        try
        {
            y = f(dual);
        }
        catch (ExternalException e) when (IsMissingForwardFormula(e))
        {
            throw new ForwardModeNotApplicableException(
                $"an operation of the function has no forward-mode derivative in libtorch ({e.Message.FirstLine()}).", e);
        }
        Jvp.CheckOutput(y, nameof(f));

        var (primal, tangent) = script.UnpackDual(y);
        if (tangent is null)
            throw new ForwardModeNotApplicableException(
                "no tangent reached the function's output: it does not depend on the input through operations that " +
                "forward mode follows (or the function detaches it).");
        if (!createGraph)
        {
            primal = primal.detach();
            tangent = tangent.detach();
        }
        return (primal.MoveToOuterDisposeScope(), tangent.MoveToOuterDisposeScope());
    }

    // libtorch: "Trying to use forward AD with grid_sampler_2d that does not support it ..." and relatives.
    private static bool IsMissingForwardFormula(ExternalException e) =>
        e.Message.Contains("forward AD", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("forward-mode AD", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("forward mode AD", StringComparison.OrdinalIgnoreCase);

}
