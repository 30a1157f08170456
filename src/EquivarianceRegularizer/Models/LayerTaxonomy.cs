using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Lie;

namespace EquivarianceRegularizer.Models;

/// <summary>
/// The one layer taxonomy: what a layer is, judged by its type name (TorchSharp and TorchScript names alike). The
/// audit's diagnosis rules ask its predicates; the Lie attribution groups contributions by its <see cref="Role"/>.
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

    /// <summary>True when the layer's output is spatially smaller than its input.</summary>
    public static bool Shrinks(LayerResult l) =>
        l.InputShape.Length >= 2 && l.OutputShape.Length == l.InputShape.Length &&
        (l.OutputShape[^1] < l.InputShape[^1] || l.OutputShape[^2] < l.InputShape[^2]);

    // Fragments of nonlinearity names in user-defined or scripted blocks ("MyReLUBlock", "activation").
    private static readonly string[] NonlinearFragments = { "relu", "gelu", "silu", "tanh", "sigmoid", "elu", "softplus", "mish", "hardswish", "activation" };

    /// <summary>The role of a layer of type <paramref name="typeName"/>, for grouping per-layer contributions.</summary>
    public static LayerRole Role(string typeName)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        string t = typeName.ToLowerInvariant();
        if (t.Contains("adaptive", StringComparison.Ordinal) || t.Contains("global", StringComparison.Ordinal)) return LayerRole.GlobalPooling;
        if (IsPool(typeName) || t.Contains("downsample", StringComparison.Ordinal)) return LayerRole.Downsampling;
        if (IsNorm(typeName)) return LayerRole.Normalization;
        if (IsActivation(typeName) || NonlinearFragments.Any(n => t.Contains(n, StringComparison.Ordinal))) return LayerRole.Nonlinearity;
        if (t.Contains("conv", StringComparison.Ordinal) || t.Contains("linear", StringComparison.Ordinal)) return LayerRole.Linear;
        return LayerRole.Other;
    }
}
