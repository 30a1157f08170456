using TorchSharp.Modules;

namespace EquivarianceRegularizer.Evaluation;

/// <summary>
/// While alive, keeps a pass from updating the running statistics of the model's normalization layers (see
/// <see cref="NormLayerMode"/>). Disposing restores every adjusted layer's training flag, momentum and batch counter;
/// it is safe to dispose before backward (no tensor saved for backward is modified).
/// </summary>
/// <remarks>
/// Guards of one model may overlap, on one thread or several (one regularizer shared by threads): the first guard on a
/// layer saves its momentum, batch counter and flag, later ones only count themselves in, and the last one to leave
/// restores what the first saved. An ordinary forward in training mode run on another thread while a guard is alive
/// sees momentum 0 and does not update the running statistics.
/// </remarks>
internal sealed class NormStatisticsGuard : IDisposable
{
    /// <summary>What the first guard on a layer saved, and how many guards hold it.</summary>
    private sealed class Saved
    {
        public int Holders;
        public double? Momentum;
        public Tensor? Batches;
        public List<(torch.nn.Module Module, bool Training)>? Flags;
    }

    private static readonly Dictionary<torch.nn.Module, Saved> Held = new(ReferenceEqualityComparer.Instance);
    private readonly List<torch.nn.Module> _held = new();
    private readonly int _batchNormCount;
    private readonly int _evalCount;
    private readonly torch.nn.Module _model;
    private bool _restored;

    /// <summary>Guards the norm layers of <paramref name="model"/> in <paramref name="mode"/>.</summary>
    public NormStatisticsGuard(torch.nn.Module model, NormLayerMode mode = NormLayerMode.BatchStatistics)
    {
        ArgumentNullException.ThrowIfNull(model);
        Mode = mode;
        _model = model;
        if (mode == NormLayerMode.Unchanged) return;
        lock (Held)
        {
            foreach (var (_, m) in model.named_modules())
            {
                if (Held.TryGetValue(m, out var saved))
                {
                    saved.Holders++;
                    _held.Add(m);
                    if (saved.Flags is null) _batchNormCount++; else _evalCount++;
                    continue;
                }
                if (!m.training || !IsNormWithStatistics(m)) continue;
                saved = new Saved { Holders = 1 };
                if (mode == NormLayerMode.BatchStatistics && m is BatchNorm bn)
                {
                    if (bn.num_batches_tracked is { } count)
                        using (no_grad()) saved.Batches = count.clone().DetachFromDisposeScope();
                    saved.Momentum = bn.momentum;
                    bn.momentum = 0.0;
                    _batchNormCount++;
                }
                else
                {
                    saved.Flags = m.named_modules().Select(p => (p.module, p.module.training)).Prepend((m, m.training)).ToList();
                    m.train(false);
                    _evalCount++;
                }
                Held.Add(m, saved);
                _held.Add(m);
            }
        }
    }

    /// <summary>
    /// Whether some normalization layer of the model normalises over the batch in the guarded pass (a BatchNorm in
    /// training mode, guarded or without running statistics): then samples in one forward influence each other.
    /// </summary>
    public bool UsesBatchStatistics => _model.modules().Any(m => m.training && IsBatchNormalizing(m));

    private static bool IsBatchNormalizing(torch.nn.Module m) =>
        m is BatchNorm || m.TypeName().Contains("BatchNorm", StringComparison.Ordinal) || IsNormWithStatistics(m);

    /// <summary>The mode in force.</summary>
    public NormLayerMode Mode { get; }

    /// <summary>Number of norm layers held in the mode's state by this guard.</summary>
    public int GuardedCount => _batchNormCount + _evalCount;

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

    /// <summary>Restores momentum, batch counters and training flags once the last guard holding a layer leaves it.</summary>
    public void Dispose()
    {
        lock (Held)
        {
            if (_restored) return;
            _restored = true;
            foreach (var m in _held)
            {
                var saved = Held[m];
                if (--saved.Holders > 0) continue;
                Held.Remove(m);
                if (m is BatchNorm layer && saved.Flags is null)
                {
                    layer.momentum = saved.Momentum;
                    if (saved.Batches is not null && layer.num_batches_tracked is { } count)
                        using (no_grad()) count.copy_(saved.Batches);
                    saved.Batches?.Dispose();
                }
                // Parents first, so children end with their own flag.
                foreach (var (module, training) in saved.Flags ?? new())
                    if (module.training != training) module.train(training);
            }
            _held.Clear();
        }
    }
}
