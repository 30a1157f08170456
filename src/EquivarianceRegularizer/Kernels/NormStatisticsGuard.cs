using TorchSharp.Modules;

namespace EquivarianceRegularizer.Kernels;

/// <summary>
/// While alive, keeps a pass from updating the running statistics of the model's normalization layers (see
/// <see cref="NormLayerMode"/>). Disposing restores every module's training flag, momentum and batch counter; it is
/// safe to dispose before backward (no tensor saved for backward is modified).
/// </summary>
public sealed class NormStatisticsGuard : IDisposable
{
    private readonly List<(torch.nn.Module module, bool training)> _flags = new();
    private readonly List<(BatchNorm layer, double? momentum, Tensor? batches)> _batchNorms = new();
    private bool _restored;

    /// <summary>Guards the norm layers of <paramref name="model"/> in <paramref name="mode"/>.</summary>
    public NormStatisticsGuard(torch.nn.Module model, NormLayerMode mode = NormLayerMode.BatchStatistics)
    {
        ArgumentNullException.ThrowIfNull(model);
        Mode = mode;
        foreach (var (_, m) in model.named_modules()) _flags.Add((m, m.training));
        if (mode == NormLayerMode.Unchanged) return;
        foreach (var (m, training) in _flags)
        {
            if (!training || !IsNormWithStatistics(m)) continue;
            if (mode == NormLayerMode.BatchStatistics && m is BatchNorm bn)
            {
                Tensor? batches = null;
                if (bn.num_batches_tracked is { } count)
                    using (no_grad()) batches = count.clone().DetachFromDisposeScope();
                _batchNorms.Add((bn, bn.momentum, batches));
                bn.momentum = 0.0;
            }
            else
            {
                m.train(false);
            }
        }
    }

    /// <summary>
    /// Whether some normalization layer of the model normalises over the batch in the guarded pass (a BatchNorm in
    /// training mode, guarded or without running statistics): then samples in one forward influence each other.
    /// </summary>
    public bool UsesBatchStatistics => _flags.Any(f => f.module.training && IsBatchNormalizing(f.module));

    private static bool IsBatchNormalizing(torch.nn.Module m) =>
        m is BatchNorm || m.TypeName().Contains("BatchNorm", StringComparison.Ordinal) || IsNormWithStatistics(m);

    /// <summary>The mode in force.</summary>
    public NormLayerMode Mode { get; }

    /// <summary>Number of norm layers this guard adjusted.</summary>
    public int GuardedCount => _batchNorms.Count + _flags.Count(f => f.training && !f.module.training);

    /// <summary>Whether <paramref name="m"/> keeps running statistics that a forward in training mode would update.</summary>
    public static bool IsNormWithStatistics(torch.nn.Module m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m is BatchNorm bn) return bn.track_running_stats;
        if (m.TypeName().Contains("BatchNorm", StringComparison.Ordinal)) return true;
        foreach (var (name, _) in m.named_buffers(recurse: false))
            if (name is "running_mean" or "running_var" or "num_batches_tracked") return true;
        return false;
    }

    /// <summary>Restores momentum, batch counters and training flags (parents first, so children end with their own flag).</summary>
    public void Dispose()
    {
        if (_restored) return;
        _restored = true;
        foreach (var (layer, momentum, batches) in _batchNorms)
        {
            layer.momentum = momentum;
            if (batches is not null && layer.num_batches_tracked is { } count)
                using (no_grad()) count.copy_(batches);
            batches?.Dispose();
        }
        foreach (var (m, training) in _flags)
            if (m.training != training) m.train(training);
    }
}
