namespace EquivarianceRegularizer.Transforms;

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
