using EquivarianceRegularizer.Torch;

namespace EquivarianceRegularizer.Kernels;

/// <summary>
/// While alive, puts every normalization layer that keeps running statistics (BatchNorm, InstanceNorm with
/// tracking, or any module owning a "running_mean"/"running_var" buffer) in eval mode, so a regularizer or audit
/// pass on sampled points neither updates the running statistics nor normalises samples by each other's
/// statistics (in eval mode the model is a per-sample function, which is what equivariance is about).
/// Disposing restores every module's own training flag.
/// </summary>
public sealed class NormStatisticsGuard : IDisposable
{
    private readonly List<(torch.nn.Module module, bool training)> _flags = new();
    private bool _restored;

    /// <summary>Freezes the norm layers of <paramref name="model"/>.</summary>
    public NormStatisticsGuard(torch.nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (_, m) in model.named_modules()) _flags.Add((m, m.training));
        foreach (var (m, training) in _flags)
            if (training && IsNormWithStatistics(m)) m.train(false);
    }

    /// <summary>Number of modules switched to eval.</summary>
    public int FrozenCount => _flags.Count(f => f.training && IsNormWithStatistics(f.module));

    /// <summary>Whether <paramref name="m"/> keeps running statistics that a forward in training mode would update.</summary>
    public static bool IsNormWithStatistics(torch.nn.Module m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.TypeName.Contains("BatchNorm", StringComparison.Ordinal)) return true;
        foreach (var (name, _) in m.named_buffers(recurse: false))
            if (name is "running_mean" or "running_var" or "num_batches_tracked") return true;
        return false;
    }

    /// <summary>Restores each module's training flag (parents first, so children end with their own flag).</summary>
    public void Dispose()
    {
        if (_restored) return;
        _restored = true;
        foreach (var (m, training) in _flags)
            if (m.training != training) m.train(training);
    }
}
