
namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>What role a layer plays, judged by its type name (TorchSharp and TorchScript names alike).</summary>
internal static class LayerTypes
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

    /// <summary>True when the layer's output is spatially smaller than its input.</summary>
    public static bool Shrinks(LayerResult l) =>
        l.InputShape.Length >= 2 && l.OutputShape.Length == l.InputShape.Length &&
        (l.OutputShape[^1] < l.InputShape[^1] || l.OutputShape[^2] < l.InputShape[^2]);
}
