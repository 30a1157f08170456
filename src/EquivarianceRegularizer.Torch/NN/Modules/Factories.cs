using EquivarianceRegularizer.Torch.Modules;

namespace EquivarianceRegularizer.Torch;

// Module factories on torch.nn, TorchSharp-style: each returns a module object from EquivarianceRegularizer.Torch.Modules.
// Layers with parameters take an optional dtype (default: torch.default_dtype) and an optional Generator so
// initialisation is reproducible; the same seed gives the same values as PyTorch's default initialisation.
public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A fully connected layer y = x·Wᵀ + b.</summary>
        public static Modules.Linear Linear(long in_features, long out_features, bool hasBias = true, ScalarType? dtype = null, Generator? generator = null) =>
            new(in_features, out_features, hasBias, dtype, generator);

        /// <summary>A 1-D convolution; padding_mode is zeros, reflect, replicate or circular.</summary>
        public static Modules.Conv1d Conv1d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
            string padding_mode = "zeros", long dilation = 1, long groups = 1, bool bias = true, ScalarType? dtype = null, Generator? generator = null) =>
            new(in_channels, out_channels, kernel_size, stride, padding, padding_mode, dilation, groups, bias, dtype, generator);

        /// <summary>A 2-D convolution with square kernel, stride, padding and dilation; padding_mode is zeros, reflect, replicate or circular.</summary>
        public static Modules.Conv2d Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
            string padding_mode = "zeros", long dilation = 1, long groups = 1, bool bias = true, ScalarType? dtype = null, Generator? generator = null) =>
            new(in_channels, out_channels, (kernel_size, kernel_size), (stride, stride), (padding, padding), padding_mode, (dilation, dilation), groups, bias, dtype, generator);

        /// <summary>A 2-D convolution with (height, width) kernel, stride, padding and dilation.</summary>
        public static Modules.Conv2d Conv2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null,
            string padding_mode = "zeros", (long, long)? dilation = null, long groups = 1, bool bias = true, ScalarType? dtype = null, Generator? generator = null) =>
            new(in_channels, out_channels, kernel_size, stride ?? (1, 1), padding ?? (0, 0), padding_mode, dilation ?? (1, 1), groups, bias, dtype, generator);

        /// <summary>Batch normalization of (N, C) or (N, C, L) inputs; momentum null means a cumulative average.</summary>
        public static Modules.BatchNorm1d BatchNorm1d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = true,
            bool track_running_stats = true, ScalarType? dtype = null) => new(num_features, eps, momentum, affine, track_running_stats, dtype);

        /// <summary>Batch normalization of (N, C, H, W) inputs; momentum null means a cumulative average.</summary>
        public static Modules.BatchNorm2d BatchNorm2d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = true,
            bool track_running_stats = true, ScalarType? dtype = null) => new(num_features, eps, momentum, affine, track_running_stats, dtype);

        /// <summary>Layer normalization over the trailing dimensions <paramref name="normalized_shape"/>.</summary>
        public static Modules.LayerNorm LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, ScalarType? dtype = null) =>
            new(normalized_shape, eps, elementwise_affine, dtype);

        /// <summary>Layer normalization over the last dimension of size <paramref name="normalized_shape"/>.</summary>
        public static Modules.LayerNorm LayerNorm(long normalized_shape, double eps = 1e-5, bool elementwise_affine = true, ScalarType? dtype = null) =>
            new(new[] { normalized_shape }, eps, elementwise_affine, dtype);

        /// <summary>Group normalization with <paramref name="num_groups"/> groups over <paramref name="num_channels"/> channels.</summary>
        public static Modules.GroupNorm GroupNorm(long num_groups, long num_channels, double eps = 1e-5, bool affine = true, ScalarType? dtype = null) =>
            new(num_groups, num_channels, eps, affine, dtype);

        /// <summary>Dropout with probability <paramref name="p"/> (active in training mode only).</summary>
        public static Modules.Dropout Dropout(double p = 0.5) => new(p);

        /// <summary>max(x, 0).</summary>
        public static Modules.ReLU ReLU() => new();

        /// <summary>GELU; approximate is "none" or "tanh".</summary>
        public static Modules.GELU GELU(string approximate = "none") => new(approximate);

        /// <summary>tanh.</summary>
        public static Modules.Tanh Tanh() => new();

        /// <summary>Logistic sigmoid.</summary>
        public static Modules.Sigmoid Sigmoid() => new();

        /// <summary>x·sigmoid(x).</summary>
        public static Modules.SiLU SiLU() => new();

        /// <summary>Leaky ReLU.</summary>
        public static Modules.LeakyReLU LeakyReLU(double negative_slope = 0.01) => new(negative_slope);

        /// <summary>Softmax along <paramref name="dim"/>.</summary>
        public static Modules.Softmax Softmax(long dim) => new(dim);

        /// <summary>The identity.</summary>
        public static Modules.Identity Identity() => new();

        /// <summary>2-D max pooling with a square window (stride defaults to the window).</summary>
        public static Modules.MaxPool2d MaxPool2d(long kernel_size, long? stride = null, long padding = 0, long dilation = 1, bool ceil_mode = false) =>
            new((kernel_size, kernel_size), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceil_mode);

        /// <summary>2-D max pooling with a (height, width) window.</summary>
        public static Modules.MaxPool2d MaxPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, bool ceil_mode = false) =>
            new(kernel_size, stride, padding ?? (0, 0), dilation ?? (1, 1), ceil_mode);

        /// <summary>2-D average pooling with a square window (stride defaults to the window).</summary>
        public static Modules.AvgPool2d AvgPool2d(long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false, bool count_include_pad = true) =>
            new((kernel_size, kernel_size), stride is { } s ? (s, s) : null, (padding, padding), ceil_mode, count_include_pad);

        /// <summary>2-D average pooling with a (height, width) window.</summary>
        public static Modules.AvgPool2d AvgPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, bool ceil_mode = false, bool count_include_pad = true) =>
            new(kernel_size, stride, padding ?? (0, 0), ceil_mode, count_include_pad);

        /// <summary>Adaptive average pooling to a square output.</summary>
        public static Modules.AdaptiveAvgPool2d AdaptiveAvgPool2d(long output_size) => new((output_size, output_size));

        /// <summary>Adaptive average pooling to (height, width).</summary>
        public static Modules.AdaptiveAvgPool2d AdaptiveAvgPool2d((long, long) output_size) => new(output_size);

        /// <summary>Flattens dimensions start_dim..end_dim (default: all but the batch dimension).</summary>
        public static Modules.Flatten Flatten(long start_dim = 1, long end_dim = -1) => new(start_dim, end_dim);

        /// <summary>A lookup table of <paramref name="num_embeddings"/> rows of size <paramref name="embedding_dim"/>.</summary>
        public static Modules.Embedding Embedding(long num_embeddings, long embedding_dim, long? padding_idx = null, ScalarType? dtype = null, Generator? generator = null) =>
            new(num_embeddings, embedding_dim, padding_idx, dtype, generator);

        /// <summary>Multi-head attention (PyTorch's layout and parameter names; batch_first as in PyTorch, default false).</summary>
        public static Modules.MultiheadAttention MultiheadAttention(long embed_dim, long num_heads, double dropout = 0.0, bool bias = true,
            bool batch_first = false, ScalarType? dtype = null, Generator? generator = null) =>
            new(embed_dim, num_heads, dropout, bias, batch_first, dtype, generator);

        /// <summary>Runs the modules in order; they are named "0", "1", ….</summary>
        public static Modules.Sequential Sequential(params Module<Tensor, Tensor>[] modules)
        {
            ArgumentNullException.ThrowIfNull(modules);
            var seq = new Modules.Sequential();
            foreach (var m in modules) seq.append(m);
            return seq;
        }

        /// <summary>Runs the named modules in order.</summary>
        public static Modules.Sequential Sequential(params (string name, Module<Tensor, Tensor> module)[] modules)
        {
            ArgumentNullException.ThrowIfNull(modules);
            var seq = new Modules.Sequential();
            foreach (var (name, m) in modules) seq.append(name, m);
            return seq;
        }

        /// <summary>Cross-entropy of logits against class indices (or class probabilities).</summary>
        public static CrossEntropyLoss CrossEntropyLoss(Tensor? weight = null, long ignore_index = -100, string reduction = "mean", double label_smoothing = 0) =>
            new(weight, ignore_index, reduction, label_smoothing);

        /// <summary>Mean squared error.</summary>
        public static MSELoss MSELoss(string reduction = "mean") => new(reduction);
    }
}
