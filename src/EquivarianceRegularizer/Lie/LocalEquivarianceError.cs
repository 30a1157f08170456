using EquivarianceRegularizer.Differentiation;
using System.Text.Json;
using System.Text.Json.Serialization;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// The local equivariance error LEE(f) = E_x ||L_X f(x)||² / dim(output) (or the reference code's softmax
/// convention, see <see cref="LieAggregation"/>), measured over a data set in batches.
/// </summary>
public static class LocalEquivarianceError
{
    /// <summary>Measures the LEE of <paramref name="model"/> on the samples of <paramref name="x"/> (first axis); ρ₂ inferred from the output (see <see cref="LieDerivative"/>).</summary>
    public static LeeResult Measure(Func<Tensor, Tensor> model, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return Measure(model, x, LieDerivative.Along(transform), options);
    }

    /// <summary>Measures the LEE of <paramref name="model"/> for <paramref name="symmetry"/> on the samples of <paramref name="x"/> (first axis).</summary>
    public static LeeResult Measure(Func<Tensor, Tensor> model, Tensor x, Symmetry symmetry, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(symmetry);
        return Measure(model, x, LieDerivative.Along(symmetry), options);
    }

    private static LeeResult Measure(Func<Tensor, Tensor> model, Tensor x, LieAction along, LieOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        var transform = along.Input;
        options ??= LieOptions.Default;
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        EquivarianceRegularizer.Audit.ModelRunErrors.CheckAlive(x, nameof(x));
        if (x.Rank() == 0) throw new ArgumentException("x needs a batch axis (samples first).", nameof(x));
        long n = x.size(0);
        if (n < 1) throw new ArgumentException("Needs at least one sample.", nameof(x));
        if (x.dtype.IsFloatingPoint())
            using (no_grad())
                if (!x.all_finite()) throw new ArgumentException("x contains NaN or infinite values; the Lie derivative is undefined there.", nameof(x));
        var perSample = new List<double>((int)n);
        var borderPerSample = new List<double>((int)n);
        bool banded = false;
        bool equivariantOutput = along.Symmetry is { IsInvariant: false };
        var used = options.Method;
        for (long start = 0; start < n; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            var xb = x.narrow(0, start, Math.Min(options.BatchSize, n - start));
            Tensor y, lie;
            // f(x) comes with the Lie derivative wherever the method computes it (the jvp's own forward). Forward mode
            // falls back to double backward where it does not apply; the result reports the method that ran.
            if (options.Method is LieDerivativeMethod.ForwardMode or LieDerivativeMethod.DoubleBackward)
            {
                JvpMethod ran;
                (y, lie, ran) = LieDerivative.EvaluateReportingMethod(model, xb, along, false,
                    options.Method == LieDerivativeMethod.ForwardMode ? JvpMethod.Auto : JvpMethod.DoubleBackward);
                if (ran == JvpMethod.DoubleBackward) used = LieDerivativeMethod.DoubleBackward;
            }
            else
            {
                lie = LieDerivative.Compute(model, xb, along, options);
                using (no_grad()) y = model(xb);
            }
            long rows = xb.size(0);
            if (y.Rank() == 0 || y.size(0) != rows || lie.Rank() == 0 || lie.size(0) != rows)
                throw new InvalidOperationException(
                    $"The model returned an output of shape [{string.Join(", ", y.shape)}] for a batch of {rows} samples: the LEE averages " +
                    "one value per sample, so the model must keep the batch axis (one output row per input sample). A model that " +
                    "reduces over the batch (a mean or sum over axis 0, a batch-level loss) cannot be measured per sample.");
            equivariantOutput = along.ActsOnOutput(y);
            if (OutputInterior(lie, equivariantOutput, transform, options.DenseOutputBorder) is { } interior)
            {
                banded = true;
                borderPerSample.AddRange(PerSample(lie - lie * interior, y, options.Aggregation, equivariantOutput));
                lie = lie * interior;
            }
            perSample.AddRange(PerSample(lie, y, options.Aggregation, equivariantOutput));
        }
        int nonFinite = perSample.Count(v => !double.IsFinite(v));
        if (nonFinite > 0)
            throw new InvalidOperationException($"The Lie derivative along {transform.Name} is NaN or infinite for {nonFinite} of {n} samples (the model's output or its derivative is non-finite there); the LEE is undefined.");
        var result = LeeResult.Of(transform.Name, options.Aggregation, equivariantOutput, used, perSample);
        return banded ? result with { OutputBorderWidth = options.DenseOutputBorder, OutputBorderValue = borderPerSample.Average() } : result;
    }

    /// <summary>
    /// For a dense output (an N×C×H×W feature map the image transform acts on): 1 inside, 0 on the outer
    /// <paramref name="width"/> pixels, shaped H×W; null for other outputs, a width of 0, or an image too small to have an inside.
    /// </summary>
    internal static Tensor? OutputInterior(Tensor lie, bool equivariantOutput, IContinuousTransform transform, int width)
    {
        if (width <= 0 || !equivariantOutput || transform is not ImageFlowTransform || lie.Rank() != 4) return null;
        long h = lie.size(2), w = lie.size(3);
        if (h <= 2 * width || w <= 2 * width) return null;
        var mask = zeros(new[] { h, w }, dtype: lie.dtype, device: lie.device);
        mask[TensorIndex.Slice(width, h - width), TensorIndex.Slice(width, w - width)] = ones(new[] { h - 2 * width, w - 2 * width }, dtype: lie.dtype, device: lie.device);
        return mask;
    }

    /// <summary>
    /// Per-sample values of a batch of Lie derivatives: ||L||²/dim (mean square), or mean |d softmax(y)| for the
    /// softmax convention (the Lie derivative of the probabilities, p ⊙ (L − ⟨p, L⟩), from logits y and L).
    /// </summary>
    public static double[] PerSample(Tensor lie, Tensor output, LieAggregation aggregation, bool equivariantOutput = false)
    {
        ArgumentNullException.ThrowIfNull(lie);
        ArgumentNullException.ThrowIfNull(output);
        using var scope = NewDisposeScope();
        long n = lie.size(0);
        var flat = lie.detach().reshape(n, -1).to(ScalarType.Float64);
        if (aggregation == LieAggregation.MeanSquare)
            return flat.square().mean(new long[] { 1 }).ToArrayDouble();
        if (output.Rank() != 2 || equivariantOutput)
            throw new ArgumentException($"The softmax convention needs invariant N×K logits, got an output of shape [{string.Join(", ", output.shape)}] ({(equivariantOutput ? "equivariant" : "invariant")}).", nameof(output));
        var probabilities = SoftmaxTangent(output.detach().to(ScalarType.Float64), flat);
        return probabilities.abs().mean(new long[] { 1 }).ToArrayDouble();
    }

    /// <summary>The directional derivative of softmax(y) along dy: p ⊙ (dy − Σ_k p_k dy_k).</summary>
    public static Tensor SoftmaxTangent(Tensor logits, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(dy);
        using var scope = NewDisposeScope();
        var p = logits.softmax(1);
        var inner = (p * dy).sum(1, keepdim: true);
        return (p * (dy - inner)).MoveToOuterDisposeScope();
    }
}
