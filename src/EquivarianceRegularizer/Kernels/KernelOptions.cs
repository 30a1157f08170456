namespace EquivarianceRegularizer.Kernels;

/// <summary>How the kernel runs the model.</summary>
public sealed record KernelOptions
{
    /// <summary>The defaults: batched, 14 MiB budget, norm layers on batch statistics without updating running statistics, absolute errors.</summary>
    public static KernelOptions Default { get; } = new();

    /// <summary>
    /// Run model(v) and every model(f_in(v)) in one forward, concatenated along the batch (chunked under
    /// <see cref="MemoryBudgetBytes"/>). When false, the model is called once per transform (for models that
    /// cannot take a larger batch, and as the benchmark's baseline).
    /// </summary>
    public bool Batched { get; init; } = true;

    /// <summary>
    /// Memory budget of one forward, estimated as input bytes × <see cref="ActivationBytesPerInputByte"/>; larger
    /// concatenated batches run in chunks of whole parts (model(v), model(f_in(v)), …) when a part fits. The default,
    /// 14 MiB (~73 rows of a 28×28 image), suits CPU caches: on one CPU thread, four transforms × 64 points of the
    /// example's CNN took 35 ms in 64-row chunks, 39 ms in 83-row and 54 ms in 160-row chunks (interleaved
    /// measurement). Raise it for accelerators, where one large forward pays off.
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = 14L << 20;

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
