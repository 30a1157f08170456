namespace EquivarianceRegularizer;

/// <summary>Handling of samples whose model outputs or distances are NaN or infinite.</summary>
public enum NonFiniteSamples
{
    /// <summary>Throw <see cref="InvalidOperationException"/> naming what was non-finite.</summary>
    Throw,

    /// <summary>
    /// Leave those samples out: the penalty (and its gradient) is computed from the finite samples alone, with the same
    /// group elements; <see cref="TermEstimate.SkippedSamples"/> counts them. Throws when no sample is finite.
    /// </summary>
    Skip,
}
