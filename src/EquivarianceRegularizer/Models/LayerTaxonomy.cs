namespace EquivarianceRegularizer.Models;

/// <summary>
/// The one layer taxonomy: what a layer is, judged by its type name (TorchSharp and TorchScript names alike). The
/// audit's diagnosis rules ask its predicates; the Lie attribution names its layer roles from them.
/// </summary>
internal static class LayerTaxonomy
{
    private static readonly HashSet<string> Activations = new(StringComparer.OrdinalIgnoreCase)
    {
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softplus",
        "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid", "Tanhshrink", "Softshrink", "Hardshrink", "Threshold", "LogSigmoid",
    };

    private static readonly HashSet<string> StandardLinear = new(StringComparer.OrdinalIgnoreCase)
    {
        "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Linear", "Bilinear", "Embedding",
    };

    /// <summary>The unqualified type name ("__torch__.x.ReLU" → "ReLU").</summary>
    public static string ShortType(string typeName)
    {
        int dot = typeName.LastIndexOf('.');
        return dot >= 0 ? typeName[(dot + 1)..] : typeName;
    }

    public static bool IsActivation(string t) => Activations.Contains(ShortType(t));

    public static bool IsNorm(string t) => ShortType(t).Contains("Norm", StringComparison.OrdinalIgnoreCase);

    public static bool IsPool(string t) => ShortType(t).Contains("Pool", StringComparison.OrdinalIgnoreCase);

    public static bool IsDropout(string t) => ShortType(t).Contains("Dropout", StringComparison.OrdinalIgnoreCase);

    public static bool IsTrainModeSensitive(string t) => IsDropout(t) || ShortType(t).StartsWith("BatchNorm", StringComparison.OrdinalIgnoreCase);

    /// <summary>Convolutions, linear maps and embeddings: weights the symmetry does not constrain unless the user does.</summary>
    public static bool IsStandardLinear(string t) => StandardLinear.Contains(ShortType(t));

    /// <summary>True when a layer's output (shape <paramref name="output"/>) is spatially smaller than its input.</summary>
    public static bool Shrinks(IReadOnlyList<long> input, IReadOnlyList<long> output) =>
        input.Count >= 2 && output.Count == input.Count && (output[^1] < input[^1] || output[^2] < input[^2]);

    // Fragments of nonlinearity names in user-defined or scripted blocks ("MyReLUBlock", "activation").
    private static readonly string[] NonlinearFragments = { "relu", "gelu", "silu", "tanh", "sigmoid", "elu", "softplus", "mish", "hardswish", "activation" };

    /// <summary>Global pooling to one value per channel (adaptive or global pools).</summary>
    public static bool IsGlobalPool(string t) =>
        t.Contains("adaptive", StringComparison.OrdinalIgnoreCase) || t.Contains("global", StringComparison.OrdinalIgnoreCase);

    /// <summary>Pools and explicit downsampling blocks.</summary>
    public static bool IsDownsampling(string t) => IsPool(t) || t.Contains("downsample", StringComparison.OrdinalIgnoreCase);

    /// <summary>A pointwise nonlinearity: a known activation, or a block whose name says it is one.</summary>
    public static bool IsNonlinear(string t) => IsActivation(t) || NonlinearFragments.Any(n => t.Contains(n, StringComparison.OrdinalIgnoreCase));

    /// <summary>Convolutions and fully connected layers, by name.</summary>
    public static bool IsLinear(string t) => t.Contains("conv", StringComparison.OrdinalIgnoreCase) || t.Contains("linear", StringComparison.OrdinalIgnoreCase);
}
