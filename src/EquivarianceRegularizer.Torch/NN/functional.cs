using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Stateless neural-network functions, as torch.nn.functional.</summary>
        public static class functional
        {
            /// <summary>max(x, 0).</summary>
            public static Tensor relu(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).relu();
            /// <summary>GELU; <paramref name="approximate"/> is "none" or "tanh".</summary>
            public static Tensor gelu(Tensor x, string approximate = "none") => Ops.Call("gelu", x, approximate);
            /// <summary>x·sigmoid(x).</summary>
            public static Tensor silu(Tensor x) => Ops.Call("silu", x);
            /// <summary>tanh.</summary>
            public static Tensor tanh(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).tanh();
            /// <summary>Logistic sigmoid.</summary>
            public static Tensor sigmoid(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).sigmoid();
            /// <summary>Leaky ReLU.</summary>
            public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) => Ops.Call("leaky_relu", x, negative_slope);
            /// <summary>Softmax along a dimension.</summary>
            public static Tensor softmax(Tensor x, long dim) => (x ?? throw new ArgumentNullException(nameof(x))).softmax(dim);
            /// <summary>Log-softmax along a dimension.</summary>
            public static Tensor log_softmax(Tensor x, long dim) => (x ?? throw new ArgumentNullException(nameof(x))).log_softmax(dim);

            /// <summary>y = x·Wᵀ + b.</summary>
            public static Tensor linear(Tensor x, Tensor weight, Tensor? bias = null) => Ops.Call("linear", x, weight, bias);

            /// <summary>1-D convolution; <paramref name="padding_mode"/> is zeros, reflect, replicate or circular.</summary>
            public static Tensor conv1d(Tensor x, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0,
                long dilation = 1, long groups = 1, string padding_mode = "zeros")
            {
                ArgumentNullException.ThrowIfNull(padding_mode);
                if (padding_mode != "zeros" && padding > 0)
                {
                    using var padded = pad(x, new[] { padding, padding }, PadModeOf(padding_mode));
                    return Ops.Call("conv1d", padded, weight, bias, new[] { stride }, new[] { 0L }, new[] { dilation }, groups);
                }
                return Ops.Call("conv1d", x, weight, bias, new[] { stride }, new[] { padding }, new[] { dilation }, groups);
            }

            /// <summary>2-D convolution; <paramref name="padding_mode"/> is zeros, reflect, replicate or circular.</summary>
            public static Tensor conv2d(Tensor x, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
                long[]? dilation = null, long groups = 1, string padding_mode = "zeros")
            {
                ArgumentNullException.ThrowIfNull(padding_mode);
                stride ??= new long[] { 1, 1 };
                padding ??= new long[] { 0, 0 };
                dilation ??= new long[] { 1, 1 };
                if (padding_mode != "zeros" && (padding[0] > 0 || padding[^1] > 0))
                {
                    long ph = padding[0], pw = padding[^1];
                    using var padded = pad(x, new[] { pw, pw, ph, ph }, PadModeOf(padding_mode));
                    return Ops.Call("conv2d", padded, weight, bias, stride, new long[] { 0, 0 }, dilation, groups);
                }
                return Ops.Call("conv2d", x, weight, bias, stride, padding, dilation, groups);
            }

            private static string PadModeOf(string paddingMode) => paddingMode switch
            {
                "reflect" => "reflect",
                "replicate" => "replicate",
                "circular" => "circular",
                _ => throw new ArgumentException($"padding_mode must be zeros, reflect, replicate or circular, got '{paddingMode}'.", nameof(paddingMode)),
            };

            /// <summary>Pads the last dimensions: <paramref name="pad"/> lists (left, right) pairs from the last dimension backwards.</summary>
            public static Tensor pad(Tensor x, long[] pad, string mode = "constant", double value = 0) =>
                Ops.Call("pad", x, pad, mode, mode == "constant" ? value : A.None);

            /// <summary>2-D max pooling.</summary>
            public static Tensor max_pool2d(Tensor x, long[] kernel_size, long[]? stride = null, long[]? padding = null, bool ceil_mode = false) =>
                Ops.Call("max_pool2d", x, kernel_size, stride ?? kernel_size, padding ?? new long[] { 0, 0 }, new long[] { 1, 1 }, ceil_mode);
            /// <summary>2-D average pooling.</summary>
            public static Tensor avg_pool2d(Tensor x, long[] kernel_size, long[]? stride = null, long[]? padding = null, bool ceil_mode = false) =>
                Ops.Call("avg_pool2d", x, kernel_size, stride ?? kernel_size, padding ?? new long[] { 0, 0 }, ceil_mode, true, A.None);
            /// <summary>2-D adaptive average pooling to <paramref name="output_size"/>.</summary>
            public static Tensor adaptive_avg_pool2d(Tensor x, long[] output_size) => Ops.Call("adaptive_avg_pool2d", x, output_size);

            /// <summary>1-D max pooling over the last dimension of N×C×L.</summary>
            public static Tensor max_pool1d(Tensor x, long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false) =>
                Ops.Call("max_pool1d", x, new[] { kernel_size }, new[] { stride ?? kernel_size }, new[] { padding }, new[] { 1L }, ceil_mode);
            /// <summary>1-D average pooling over the last dimension of N×C×L (padding counts as zeros).</summary>
            public static Tensor avg_pool1d(Tensor x, long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false) =>
                Ops.Call("avg_pool1d", x, new[] { kernel_size }, new[] { stride ?? kernel_size }, new[] { padding }, ceil_mode, true);
            /// <summary>1-D adaptive average pooling to <paramref name="output_size"/>.</summary>
            public static Tensor adaptive_avg_pool1d(Tensor x, long output_size) => Ops.Call("adaptive_avg_pool1d", x, new[] { output_size });
            /// <summary>2-D adaptive max pooling to <paramref name="output_size"/> (values only).</summary>
            public static Tensor adaptive_max_pool2d(Tensor x, long[] output_size)
            {
                var r = Ops.CallMany("adaptive_max_pool2d", x, output_size);
                r[1].Dispose();
                return r[0];
            }

            /// <summary>Batch normalization (training mode updates the running statistics in place).</summary>
            public static Tensor batch_norm(Tensor x, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
                bool training = false, double momentum = 0.1, double eps = 1e-5) =>
                Ops.Call("batch_norm", x, weight, bias, running_mean, running_var, training, momentum, eps, false);
            /// <summary>Layer normalization over the trailing <paramref name="normalized_shape"/>.</summary>
            public static Tensor layer_norm(Tensor x, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
                Ops.Call("layer_norm", x, normalized_shape, weight, bias, eps, false);
            /// <summary>Group normalization.</summary>
            public static Tensor group_norm(Tensor x, long num_groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
                Ops.Call("group_norm", x, num_groups, weight, bias, eps, false);
            /// <summary>Dropout (identity unless <paramref name="training"/>).</summary>
            public static Tensor dropout(Tensor x, double p = 0.5, bool training = true)
            {
                if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1].");
                return Ops.Call("dropout", x, p, training);
            }
            /// <summary>Embedding lookup.</summary>
            public static Tensor embedding(Tensor indices, Tensor weight) => Ops.Call("embedding", weight, indices, -1L, false, false);

            /// <summary>
            /// Sampling grid for <see cref="grid_sample"/> from affine matrices θ (N×2×3) for an output of <paramref name="size"/> (N, C, H, W).
            /// </summary>
            public static Tensor affine_grid(Tensor theta, long[] size, bool align_corners = false) =>
                Ops.Call("affine_grid_generator", theta, size, align_corners);

            /// <summary>
            /// Samples <paramref name="input"/> at <paramref name="grid"/> (normalized coordinates in [−1, 1]).
            /// mode: bilinear | nearest | bicubic; padding_mode: zeros | border | reflection.
            /// </summary>
            public static Tensor grid_sample(Tensor input, Tensor grid, string mode = "bilinear", string padding_mode = "zeros", bool align_corners = false)
            {
                long m = mode switch
                {
                    "bilinear" => 0,
                    "nearest" => 1,
                    "bicubic" => 2,
                    _ => throw new ArgumentException($"mode must be bilinear, nearest or bicubic, got '{mode}'.", nameof(mode)),
                };
                long p = padding_mode switch
                {
                    "zeros" => 0,
                    "border" => 1,
                    "reflection" => 2,
                    _ => throw new ArgumentException($"padding_mode must be zeros, border or reflection, got '{padding_mode}'.", nameof(padding_mode)),
                };
                return Ops.Call("grid_sampler", input, grid, m, p, align_corners);
            }

            /// <summary>Resizes a 4-D tensor: mode nearest or bilinear, to <paramref name="size"/> or by <paramref name="scale_factor"/>.</summary>
            public static Tensor interpolate(Tensor x, long[]? size = null, double? scale_factor = null, string mode = "nearest", bool align_corners = false)
            {
                if ((size is null) == (scale_factor is null))
                    throw new ArgumentException("interpolate needs exactly one of size and scale_factor.", nameof(size));
                var scales = scale_factor is { } s ? new[] { s, s } : null;
                return mode switch
                {
                    "nearest" => Ops.Call("upsample_nearest2d.vec", x, size, scales),
                    "bilinear" => Ops.Call("upsample_bilinear2d.vec", x, size, align_corners, scales),
                    _ => throw new ArgumentException($"mode must be nearest or bilinear, got '{mode}'.", nameof(mode)),
                };
            }

            /// <summary>Cross-entropy of logits against int64 class targets (mean over the batch by default).</summary>
            public static Tensor cross_entropy(Tensor logits, Tensor target, string reduction = "mean", double label_smoothing = 0) =>
                Ops.Call("cross_entropy_loss", logits, target, A.None, Reduction(reduction), -100L, label_smoothing);
            /// <summary>Negative log-likelihood of log-probabilities.</summary>
            public static Tensor nll_loss(Tensor log_probs, Tensor target, string reduction = "mean") =>
                Ops.Call("nll_loss_nd", log_probs, target, A.None, Reduction(reduction), -100L);
            /// <summary>Mean squared error.</summary>
            public static Tensor mse_loss(Tensor input, Tensor target, string reduction = "mean") =>
                Ops.Call("mse_loss", input, target, Reduction(reduction));

            private static long Reduction(string r) => r switch
            {
                "none" => 0,
                "mean" => 1,
                "sum" => 2,
                _ => throw new ArgumentException($"reduction must be none, mean or sum, got '{r}'.", nameof(r)),
            };

            /// <summary>
            /// Multi-head attention with packed input projections (batch_first layout: N×L×E), returning the output
            /// and the attention weights averaged over heads.
            /// </summary>
            public static (Tensor output, Tensor weights) multi_head_attention(Tensor query, Tensor key, Tensor value, long num_heads,
                Tensor in_proj_weight, Tensor? in_proj_bias, Tensor out_proj_weight, Tensor? out_proj_bias, Tensor? key_padding_mask = null)
            {
                ArgumentNullException.ThrowIfNull(query);
                ArgumentNullException.ThrowIfNull(key);
                ArgumentNullException.ThrowIfNull(value);
                ArgumentNullException.ThrowIfNull(in_proj_weight);
                ArgumentNullException.ThrowIfNull(out_proj_weight);
                long e = query.size(-1);
                if (e % num_heads != 0) throw new ArgumentException($"Embedding size {e} is not divisible by num_heads {num_heads}.", nameof(num_heads));
                using var scope = NewDisposeScope();
                var w = in_proj_weight.chunk(3, 0);
                var b = in_proj_bias?.chunk(3, 0);
                long n = query.size(0), l = query.size(1), s = key.size(1), hd = e / num_heads;
                Tensor Heads(Tensor t, long len) => t.view(n, len, num_heads, hd).transpose(1, 2);
                var q = Heads(linear(query, w[0], b?[0]), l);
                var k = Heads(linear(key, w[1], b?[1]), s);
                var v = Heads(linear(value, w[2], b?[2]), s);
                var scores = q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(hd));
                if (key_padding_mask is not null)
                    scores = scores.masked_fill(key_padding_mask.view(n, 1, 1, s), double.NegativeInfinity);
                var attn = scores.softmax(-1);
                var ctx = attn.matmul(v).transpose(1, 2).reshape(n, l, e);
                var output = linear(ctx, out_proj_weight, out_proj_bias).MoveToOuterDisposeScope();
                var weights = attn.mean(1).MoveToOuterDisposeScope();
                return (output, weights);
            }
        }
    }
}
