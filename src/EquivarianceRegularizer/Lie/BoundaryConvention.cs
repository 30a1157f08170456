using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// The boundary convention of the tangent's spatial derivative −∇x·Y in a report: which padding the central differences
/// used at the image border, and why. Conventions change numbers: with zero padding an exactly equivariant
/// circular-padded convolution has a non-zero Lie derivative in its border band. JSON-serialisable.
/// </summary>
public sealed record BoundaryConvention
{
    /// <summary>The padding the tangents used.</summary>
    public required ImagePadding Padding { get; init; }

    /// <summary>
    /// True when it was taken from the model (its padded layers agree on one convention, <see cref="LieOptions.BoundaryFromModel"/>);
    /// false when it is the transform's own <see cref="ImageFlowOptions.Padding"/>, as given.
    /// </summary>
    public required bool FromModel { get; init; }

    /// <summary>
    /// The padded layers that were examined, with the convention each showed: a layer that keeps H×W and is exactly
    /// translation-equivariant with circular boundaries (and not with zero boundaries) is circular; one that is neither
    /// is zeros (or another non-periodic padding). Pointwise layers, exact either way, are not listed.
    /// </summary>
    public required IReadOnlyDictionary<string, ImagePadding> PaddedLayers { get; init; }

    /// <summary>
    /// One sentence in the user's terms, e.g. "circular, taken from the model: its 2 padded layers (conv1, conv2) agree";
    /// control and bidirectional characters of layer names shown as escapes.
    /// </summary>
    public required string Explanation { get; init => field = EquivarianceRegularizer.Reports.ReportFormat.Printable(value); }
}
