namespace EquivarianceRegularizer.Transforms;

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
