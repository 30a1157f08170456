using static TorchSharp.torch;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// Jacobian-vector products J_f(x)·v, the directional derivative of f at x along v: the library's one seam for them
/// (Lie derivatives, the infinitesimal regularizer penalty, per-layer attribution). Both methods are exact; finite
/// differences are a cross-check only (on ReLU networks a step crosses kinks).
/// </summary>
/// <example>
/// <code>
/// using var _ = torch.NewDisposeScope();
/// var (y, dy) = Jvp.Compute(model.call, x, tangent);                // exact, fastest method available
/// var penalty = Jvp.Compute(model.call, x, tangent, createGraph: true).Tangent.square().mean();
/// penalty.backward();                                              // trains through the jvp
/// </code>
/// </example>
public static class Jvp
{
    /// <summary>
    /// True when libtorch's forward-mode AD can be reached in this process (detected once, at first use, with a probe;
    /// it needs libtorch's C++ level functions, found at run time). Otherwise <see cref="JvpMethod.Auto"/> uses
    /// double backward and <see cref="ForwardModeUnavailableReason"/> says why.
    /// </summary>
    public static bool ForwardModeAvailable => ForwardModeSupport.Current.IsAvailable;

    /// <summary>Why forward mode is unavailable in this process; null when <see cref="ForwardModeAvailable"/>.</summary>
    public static string? ForwardModeUnavailableReason => ForwardModeSupport.Current.UnavailableReason;

    /// <summary>
    /// Computes f(x) and the Jacobian-vector product J_f(x)·v.
    /// </summary>
    /// <param name="f">The function, for instance <c>model.call</c>; called once (twice under
    /// <see cref="JvpMethod.Auto"/> when forward mode turns out not to apply to it).</param>
    /// <param name="x">Where the Jacobian is taken: a real floating-point tensor.</param>
    /// <param name="v">The direction (input tangent): same shape, dtype and device as <paramref name="x"/>.</param>
    /// <param name="method">How to compute it; <see cref="JvpMethod.Auto"/> picks forward mode where it applies.</param>
    /// <param name="createGraph">Keep the autograd graph of both results, so that a loss built from the tangent can be
    /// trained through (gradients reach f's parameters, and <paramref name="x"/> and <paramref name="v"/> where they
    /// require grad). Without it both results are detached.</param>
    /// <returns>The output f(x) and its tangent J_f(x)·v (same shape as the output). Like TorchSharp's own results
    /// they belong to the caller's dispose scope; every intermediate is disposed before returning.</returns>
    /// <exception cref="ArgumentNullException">f, x or v is null.</exception>
    /// <exception cref="ArgumentException">x or v is disposed, not floating-point, or they differ in shape, dtype or
    /// device; f returns null or a non-floating tensor, or an output that does not depend on x.</exception>
    /// <exception cref="NotSupportedException"><see cref="JvpMethod.ForwardMode"/> was asked for where it is
    /// unavailable or cannot give this jvp (the message says why).</exception>
    public static (Tensor Output, Tensor Tangent) Compute(
        Func<Tensor, Tensor> f, Tensor x, Tensor v, JvpMethod method = JvpMethod.Auto, bool createGraph = false)
    {
        var (output, tangent, _) = ComputeReportingMethod(f, x, v, method, createGraph);
        return (output, tangent);
    }

    /// <summary>As <see cref="Compute"/>, and which method ran (never <see cref="JvpMethod.Auto"/>).</summary>
    internal static (Tensor Output, Tensor Tangent, JvpMethod Used) ComputeReportingMethod(
        Func<Tensor, Tensor> f, Tensor x, Tensor v, JvpMethod method, bool createGraph)
    {
        ArgumentNullException.ThrowIfNull(f);
        CheckArguments(x, v, method);

        switch (method)
        {
            case JvpMethod.DoubleBackward:
                return With(DoubleBackwardJvp.Compute(f, x, v, createGraph), JvpMethod.DoubleBackward);
            case JvpMethod.ForwardMode:
                try
                {
                    return With(ForwardModeJvp.Compute(ForwardModeSupport.Current, f, x, v, createGraph), JvpMethod.ForwardMode);
                }
                catch (ForwardModeNotApplicableException e)
                {
                    throw new NotSupportedException(
                        $"JvpMethod.ForwardMode cannot compute this Jacobian-vector product: {e.Message} " +
                        "Use JvpMethod.DoubleBackward (exact, about 1.5× slower) or JvpMethod.Auto.", e);
                }
            default:
                return ComputeAuto(f, x, v, createGraph);
        }
    }

    private static (Tensor Output, Tensor Tangent, JvpMethod Used) With((Tensor Output, Tensor Tangent) r, JvpMethod used) => (r.Output, r.Tangent, used);

    private static (Tensor Output, Tensor Tangent, JvpMethod Used) ComputeAuto(Func<Tensor, Tensor> f, Tensor x, Tensor v, bool createGraph)
    {
        var support = ForwardModeSupport.Current;
        ForwardModeNotApplicableException? forwardFailure = null;
        if (support.IsAvailable && !Monitor.IsEntered(ForwardModeSupport.LevelLock))
        {
            try
            {
                return With(ForwardModeJvp.Compute(support, f, x, v, createGraph), JvpMethod.ForwardMode);
            }
            catch (ForwardModeNotApplicableException e)
            {
                forwardFailure = e; // Exact either way: fall back to double backward.
            }
        }
        try
        {
            return With(DoubleBackwardJvp.Compute(f, x, v, createGraph), JvpMethod.DoubleBackward);
        }
        catch (NotSupportedException e) when (forwardFailure is not null)
        {
            throw new NotSupportedException(
                "No exact Jacobian-vector product of this function is available: forward mode failed because " +
                $"{forwardFailure.Message} and double backward failed: {e.Message}", e);
        }
    }

    /// <summary>Checks what f returned (shared by both methods).</summary>
    internal static void CheckOutput(Tensor? y, string paramName)
    {
        if (y is null) throw new ArgumentException("The function returned null; it must return a tensor.", paramName);
        if (y.IsInvalid) throw new ArgumentException("The function returned a disposed tensor.", paramName);
        if (!y.is_floating_point())
            throw new ArgumentException(
                $"The function returned a {y.dtype} tensor; a Jacobian-vector product needs a floating-point output.", paramName);
    }

    private static void CheckArguments(Tensor x, Tensor v, JvpMethod method)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(v);
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, "Expected Auto, ForwardMode or DoubleBackward.");
        if (x.IsInvalid) throw new ArgumentException("The input x has been disposed.", nameof(x));
        if (v.IsInvalid) throw new ArgumentException("The tangent v has been disposed.", nameof(v));
        if (!x.is_floating_point())
            throw new ArgumentException(
                $"The input x is a {x.dtype} tensor; Jacobian-vector products need a real floating-point input " +
                "(convert it with x.to(torch.float32)).", nameof(x));
        if (!x.shape.SequenceEqual(v.shape))
            throw new ArgumentException(
                $"The tangent v has shape [{string.Join(", ", v.shape)}]; it must have the input's shape " +
                $"[{string.Join(", ", x.shape)}].", nameof(v));
        if (v.dtype != x.dtype)
            throw new ArgumentException(
                $"The tangent v is {v.dtype} and the input x is {x.dtype}; they must have the same dtype " +
                $"(convert v with v.to(x.dtype)).", nameof(v));
        if (v.device_type != x.device_type || v.device_index != x.device_index)
            throw new ArgumentException(
                $"The tangent v is on {v.device} and the input x on {x.device}; they must be on the same device.", nameof(v));
    }
}
