namespace EquivarianceRegularizer.Transforms;

/// <summary>How a geometric transform interpolates between pixels when it resamples an image.</summary>
public enum Interpolation
{
    /// <summary>Bilinear (grid_sample's default). Piecewise linear: its derivative in t jumps at t = 0.</summary>
    Bilinear,
    /// <summary>Nearest neighbour (piecewise constant in t).</summary>
    Nearest,
    /// <summary>Bicubic.</summary>
    Bicubic,
}

/// <summary>What a geometric transform sees outside the image.</summary>
public enum ImagePadding
{
    /// <summary>Zeros outside the image.</summary>
    Zeros,
    /// <summary>The nearest border pixel (replicate).</summary>
    Border,
    /// <summary>The image mirrored at its border (grid_sample's reflection; the mirror line depends on align_corners).</summary>
    Reflection,
    /// <summary>The image repeated periodically (a torus): translations are exact cyclic shifts at integer steps.</summary>
    Circular,
}

/// <summary>How the spatial derivative ∇x in a flow's tangent −∇x·Y is computed.</summary>
public enum SpatialDerivative
{
    /// <summary>
    /// Central differences (x[j+1] − x[j−1]) / 2 with the transform's padding at the border. This is exactly the
    /// symmetric derivative in t of the bilinearly resampled transform at t = 0, so it measures the model and not
    /// the interpolation kink (a one-sided derivative would see (x[j+1] − x[j]) or (x[j] − x[j−1])).
    /// </summary>
    CentralDifference,
    /// <summary>
    /// Band-limited (Fourier / spectral) derivative: the exact derivative of the periodic trigonometric interpolant
    /// of each row and column (the Nyquist component is dropped). Treats the image as periodic whatever the padding.
    /// </summary>
    Fourier,
}

/// <summary>A closed interval [Min, Max] from which a transform draws its parameter uniformly.</summary>
public readonly record struct ParameterRange
{
    /// <summary>Creates [min, max]; both finite, min ≤ max.</summary>
    public ParameterRange(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
            throw new ArgumentOutOfRangeException(nameof(min), $"Range bounds must be finite, got [{min}, {max}].");
        if (min > max)
            throw new ArgumentOutOfRangeException(nameof(min), $"Range needs min <= max, got [{min}, {max}].");
        Min = min;
        Max = max;
    }

    /// <summary>The symmetric range [−halfWidth, halfWidth].</summary>
    public static ParameterRange Symmetric(double halfWidth) => new(-Math.Abs(halfWidth), Math.Abs(halfWidth));

    /// <summary>Lower bound.</summary>
    public double Min { get; }

    /// <summary>Upper bound.</summary>
    public double Max { get; }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"[{Min}, {Max}]");
}

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
