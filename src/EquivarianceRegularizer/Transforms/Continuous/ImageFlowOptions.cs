namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Resampling and differentiation settings of a geometric (image-flow) transform.
/// <para>
/// <see cref="AlignCorners"/> has grid_sample's meaning: false (the default, as in PyTorch) treats pixels as
/// squares, so −1 and +1 are the outer edges of the border pixels; true puts −1 and +1 on the centres of the
/// border pixels. It also fixes the transform's coordinate frame (see <see cref="ImageFlowTransform"/>) and the
/// mirror line of <see cref="ImagePadding.Reflection"/>.
/// </para>
/// </summary>
public sealed record ImageFlowOptions
{
    /// <summary>The defaults: bilinear, zero padding, align_corners = false, central differences.</summary>
    public static ImageFlowOptions Default { get; } = new();

    /// <summary>Interpolation used by Apply/ApplyAt.</summary>
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;

    /// <summary>Values outside the image, for resampling and for the border of the central differences.</summary>
    public ImagePadding Padding { get; init; } = ImagePadding.Zeros;

    /// <summary>grid_sample's align_corners (see the type's remarks).</summary>
    public bool AlignCorners { get; init; }

    /// <summary>How ∇x is computed in the tangent −∇x·Y.</summary>
    public SpatialDerivative Derivative { get; init; } = SpatialDerivative.CentralDifference;
}
