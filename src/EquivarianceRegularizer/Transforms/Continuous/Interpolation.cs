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
