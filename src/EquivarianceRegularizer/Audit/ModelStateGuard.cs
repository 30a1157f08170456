namespace EquivarianceRegularizer.Audit;

/// <summary>Saves a model's parameters, buffers, training mode and dtype, and puts them back on dispose.</summary>
internal sealed class ModelStateGuard : IDisposable
{
    private readonly ObservedModel _model;
    private readonly bool _training;
    private readonly ScalarType _dtype;
    private readonly List<(Tensor Live, Tensor Saved)> _saved = new();

    public ModelStateGuard(ObservedModel model)
    {
        _model = model;
        _training = model.Training;
        _dtype = model.DType;
        using (no_grad())
            foreach (var (_, t, _) in model.State())
            {
                // The detached view is an intermediate handle: released at once (this runs outside any dispose scope).
                using var detached = t.detach();
                _saved.Add((t, detached.clone().DetachFromDisposeScope()));
            }
    }

    /// <summary>Restores values in place (after running in train mode, which updates BatchNorm statistics).</summary>
    public void RestoreValues()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var live = _model.State().Select(s => s.Tensor).ToList();
        if (live.Count != _saved.Count)
            throw new InvalidOperationException($"The model's state changed during the audit ({_saved.Count} tensors saved, {live.Count} now); its values could not be restored.");
        for (int i = 0; i < live.Count; i++)
        {
            if (live[i].dtype != _saved[i].Saved.dtype) continue;
            live[i].copy_(_saved[i].Saved);
        }
    }

    public void Dispose()
    {
        if (_model.DType != _dtype) _model.ConvertTo(_dtype);
        RestoreValues();
        _model.SetTraining(_training);
        foreach (var (_, s) in _saved) s.Dispose();
        _saved.Clear();
    }
}
