namespace EquivarianceRegularizer.Lie;

/// <summary>
/// How per-sample Lie derivatives are turned into one number. The two conventions give numbers of different scale;
/// state which one you report.
/// </summary>
public enum LieAggregation
{
    /// <summary>The paper's LEE: ||L_X f(x)||² / dim(output), averaged over samples.</summary>
    MeanSquare,
    /// <summary>
    /// The Lie-derivative paper's public code: the Lie derivative of the softmax probabilities of the logits,
    /// mean absolute value over classes, averaged over samples. Needs N×K logits and an invariant output.
    /// </summary>
    MeanAbsoluteSoftmax,
}
