namespace EquivarianceRegularizer.Audit;

/// <summary>
/// What the auditor needs of a model, so that our own modules and TorchScript modules are audited the same way.
/// </summary>
internal interface IAuditModel
{
    /// <summary>The model's type or file name, for reports.</summary>
    string Name { get; }

    /// <summary>The dtype of the model's floating-point parameters (float32 when it has none).</summary>
    ScalarType DType { get; }

    /// <summary>The device the model runs on: the audit moves its float64 inputs there and the outputs back to the CPU.
    /// The CPU unless an implementation says otherwise.</summary>
    Device Device => CPU;

    /// <summary>Whether the model is in training mode.</summary>
    bool Training { get; }

    /// <summary>Sets training (true) or evaluation (false) mode.</summary>
    void SetTraining(bool training);

    /// <summary>Converts parameters and buffers to <paramref name="dtype"/>.</summary>
    void ConvertTo(ScalarType dtype);

    /// <summary>Runs the model.</summary>
    Tensor Forward(Tensor x);

    /// <summary>
    /// Runs the model and returns its output plus every submodule call in completion order (children before
    /// their parent). The captured tensors are detached copies owned by the caller's dispose scope; with
    /// <paramref name="gradientProbes"/> each capture also carries a <see cref="LayerCapture.GradientTarget"/>.
    /// </summary>
    (Tensor Output, IReadOnlyList<LayerCapture> Layers) ForwardWithLayers(Tensor x, bool gradientProbes = false);

    /// <summary>Every declared submodule (the root excluded), so that uncalled ones can be listed.</summary>
    IReadOnlyList<LayerInfo> DeclaredLayers { get; }

    /// <summary>A function running submodule <paramref name="name"/> alone, or null when it cannot be called alone.</summary>
    Func<Tensor, Tensor>? LayerFunction(string name);

    /// <summary>The live parameter and buffer tensors (for snapshots and re-initialisation).</summary>
    IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> State();
}
