namespace EquivarianceRegularizer.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Parameter initialisers, as torch.nn.init. Each fills its tensor in place without recording gradients and
        /// draws from <c>generator</c> when one is given (the same seed gives the same values as PyTorch's CPU generator).
        /// </summary>
        public static class init
        {
            /// <summary>Fills with samples from U(a, b).</summary>
            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                using (no_grad()) tensor.uniform_(a, b, generator);
                return tensor;
            }

            /// <summary>Fills with samples from N(mean, std²).</summary>
            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                using (no_grad()) tensor.normal_(mean, std, generator);
                return tensor;
            }

            /// <summary>Fills with <paramref name="value"/>.</summary>
            public static Tensor constant_(Tensor tensor, double value)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                using (no_grad()) tensor.fill_(value);
                return tensor;
            }

            /// <summary>Fills with zeros.</summary>
            public static Tensor zeros_(Tensor tensor) => constant_(tensor, 0);

            /// <summary>Fills with ones.</summary>
            public static Tensor ones_(Tensor tensor) => constant_(tensor, 1);

            /// <summary>
            /// (fan_in, fan_out) of a weight: for a matrix (out × in) they are (in, out); for a convolution kernel
            /// (out × in/groups × k…) each is multiplied by the kernel's size.
            /// </summary>
            public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                var s = tensor.shape;
                if (s.Length < 2)
                    throw new ArgumentException($"Fan in and fan out need a tensor of at least 2 dimensions, got [{string.Join(", ", s)}].", nameof(tensor));
                long receptive = 1;
                for (int i = 2; i < s.Length; i++) receptive *= s[i];
                return (s[1] * receptive, s[0] * receptive);
            }

            /// <summary>The recommended gain for a nonlinearity (linear, conv*, sigmoid: 1; tanh: 5/3; relu: √2; leaky_relu: √(2/(1+a²))).</summary>
            public static double calculate_gain(string nonlinearity, double param = 0.01) => nonlinearity switch
            {
                "linear" or "conv1d" or "conv2d" or "conv3d" or "sigmoid" => 1.0,
                "tanh" => 5.0 / 3,
                "relu" => Math.Sqrt(2.0),
                "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
                "selu" => 3.0 / 4,
                _ => throw new ArgumentException($"Unknown nonlinearity '{nonlinearity}'.", nameof(nonlinearity)),
            };

            /// <summary>
            /// Kaiming (He) uniform initialisation: U(−b, b) with b = gain·√(3 / fan), fan = fan_in or fan_out by
            /// <paramref name="mode"/>. PyTorch's Linear and Conv layers use a = √5, which gives b = 1/√fan_in.
            /// </summary>
            public static Tensor kaiming_uniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                long fan = mode switch
                {
                    "fan_in" => fanIn,
                    "fan_out" => fanOut,
                    _ => throw new ArgumentException($"mode must be fan_in or fan_out, got '{mode}'.", nameof(mode)),
                };
                if (fan == 0) return tensor;
                double bound = calculate_gain(nonlinearity, a) * Math.Sqrt(3.0 / fan);
                return uniform_(tensor, -bound, bound, generator);
            }

            /// <summary>Xavier (Glorot) uniform initialisation: U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).</summary>
            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
                return uniform_(tensor, -bound, bound, generator);
            }
        }
    }
}
