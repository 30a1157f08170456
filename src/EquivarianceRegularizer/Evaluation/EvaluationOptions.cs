namespace EquivarianceRegularizer.Evaluation;

/// <summary>How the evaluation runs the model.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The defaults: batched, one forward per part (no budget), norm layers on batch statistics without updating running statistics, absolute errors.</summary>
    public static EvaluationOptions Default { get; } = new();

    /// <summary>
    /// Let model(v) and the model(f_in(v)) share forwards, concatenated along the batch, as far as
    /// <see cref="MemoryBudgetBytes"/> allows (with no budget each part runs alone, whole). When false, the model is
    /// called once per part whatever the budget (for models that cannot take a larger batch).
    /// </summary>
    public bool Batched { get; init; } = true;

    /// <summary>
    /// Memory budget of one forward, estimated as input bytes × <see cref="ActivationBytesPerInputByte"/>. Null (the
    /// default) follows the actual sizes: one forward per part — model(v) and each model(f_in(v)) — each the size of
    /// the caller's own batch, which the model has already run whole, so nothing is split and nothing grows beyond what
    /// the user's step needs (on one CPU thread also the fastest: four transforms × 64 points of the example's CNN took 35 ms
    /// in 64-row forwards, 54 ms in 160-row ones). Set a
    /// budget to concatenate parts into larger forwards (worth it on accelerators with small batches) or to split
    /// parts that do not fit; parts are never split while a norm layer normalises over the batch.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>Estimated activation memory per byte of input, used to size chunks (a small CNN keeps ~10–100×).</summary>
    public double ActivationBytesPerInputByte { get; init; } = 64;

    /// <summary>How normalization layers with running statistics run in the pass; they are never updated by it unless
    /// <see cref="NormLayerMode.Unchanged"/> (see <see cref="NormStatisticsGuard"/>).</summary>
    public NormLayerMode NormLayers { get; init; } = NormLayerMode.BatchStatistics;

    /// <summary>Divide each sample's distance by the size of f_out(model(v)) in the same distance (a relative error).</summary>
    public bool Relative { get; init; }

    /// <summary>Throw when an output or distance is NaN or infinite (default); when false the caller inspects the distances itself.</summary>
    public bool ThrowOnNonFinite { get; init; } = true;
}
