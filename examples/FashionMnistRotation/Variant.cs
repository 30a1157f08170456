using System.Globalization;

namespace FashionMnistRotation;

/// <summary>The ways the example trains the same CNN.</summary>
internal enum VariantKind
{
    /// <summary>Cross-entropy only.</summary>
    Plain,
    /// <summary>Cross-entropy on images turned by a random quarter turn each (GroupAugmentation).</summary>
    Augmentation,
    /// <summary>Cross-entropy + λ·regularizer on the batch, sharing the model's forward.</summary>
    Regularizer,
    /// <summary>Augmentation, and the regularizer on the augmented batch.</summary>
    AugmentationAndRegularizer,
    /// <summary>Cross-entropy + a constrained term: λ found by dual ascent so that the error goes toward ε.</summary>
    Constrained,
    /// <summary>The CNN averaged over the four quarter turns (GroupAveraged), trained with cross-entropy.</summary>
    GroupAveraged,
}

/// <summary>One trained configuration: a kind with its λ or ε.</summary>
internal sealed record Variant(VariantKind Kind, double Lambda = 0, double Epsilon = 0)
{
    /// <summary>Whether the training images are turned at random.</summary>
    public bool Augments => Kind is VariantKind.Augmentation or VariantKind.AugmentationAndRegularizer;

    /// <summary>Whether a regularizer term enters the loss.</summary>
    public bool Regularizes => Kind is VariantKind.Regularizer or VariantKind.AugmentationAndRegularizer or VariantKind.Constrained;

    public string Label => Kind switch
    {
        VariantKind.Plain => "plain",
        VariantKind.Augmentation => "augmentation",
        VariantKind.Regularizer => $"regularizer λ = {Number(Lambda)}",
        VariantKind.AugmentationAndRegularizer => $"augmentation + regularizer λ = {Number(Lambda)}",
        VariantKind.Constrained => $"constrained ε = {Number(Epsilon)} (dual ascent)",
        _ => "group-averaged (4 turns)",
    };

    private static string Number(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}

/// <summary>The names of the variant kinds on the command line.</summary>
internal static class VariantNames
{
    public static VariantKind Parse(string name) => name switch
    {
        "plain" => VariantKind.Plain,
        "augmentation" or "aug" => VariantKind.Augmentation,
        "regularizer" or "reg" => VariantKind.Regularizer,
        "aug+reg" => VariantKind.AugmentationAndRegularizer,
        "constrained" => VariantKind.Constrained,
        "group-averaged" or "averaged" => VariantKind.GroupAveraged,
        _ => throw new ArgumentException($"unknown variant '{name}': use plain, augmentation, regularizer, aug+reg, constrained or group-averaged."),
    };

    /// <summary>The variants of one run: the regularizer once per λ, the constrained mode once per ε.</summary>
    public static IReadOnlyList<Variant> Expand(IEnumerable<VariantKind> kinds, Settings s) => kinds.SelectMany(k => k switch
    {
        VariantKind.Regularizer => s.Lambdas.Select(l => new Variant(k, Lambda: l)),
        VariantKind.AugmentationAndRegularizer => s.AugmentedLambdas.Select(l => new Variant(k, Lambda: l)),
        VariantKind.Constrained => s.Epsilons.Select(e => new Variant(k, Epsilon: e)),
        _ => new[] { new Variant(k) },
    }).ToArray();
}
