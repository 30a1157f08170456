namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A transform that can act on tensors of another resolution than the one it was built for — a layer's input or output
/// after downsampling or pooling — by mapping each group element through the change of resolution (a shift
/// by s pixels at length n is a shift by s·m/n at length m, exactly when that is an integer; otherwise the nearest
/// lower shift, so a layer that aliases shows an error of its own).
/// </summary>
internal interface IResolutionAware
{
    /// <summary>The transform acting on <paramref name="x"/>, or null when its resolution cannot be related to this one.</summary>
    IGroupTransform? AtResolutionOf(Tensor x);
}
