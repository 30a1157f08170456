using TorchSharp.Modules;

namespace EquivarianceRegularizer.Evaluation;

/// <summary>How an evaluation pass treats normalization layers that keep running statistics (BatchNorm).</summary>
public enum NormLayerMode
{
    /// <summary>
    /// Training-mode BatchNorm layers normalise with the statistics of the pass's batch, exactly as in the training
    /// loss, but their running statistics are left untouched (momentum 0 for the pass, num_batches_tracked
    /// restored). Layers of unknown types that keep running statistics fall back to <see cref="Eval"/>. The default:
    /// a regularizer evaluated in eval mode can be "satisfied" by pushing stale running statistics into dead ReLUs,
    /// which the batch-normalised training loss never sees.
    /// </summary>
    BatchStatistics,

    /// <summary>
    /// Norm layers in eval mode for the pass: running statistics are used and never updated, and the model is a
    /// per-sample function (what an audit measures).
    /// </summary>
    Eval,

    /// <summary>The model is run as it is; running statistics may change.</summary>
    Unchanged,
}
