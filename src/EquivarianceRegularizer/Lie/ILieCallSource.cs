namespace EquivarianceRegularizer.Lie;

/// <summary>A model whose module calls can be observed during a forward pass (TorchSharp hooks or TorchScript taps).</summary>
internal interface ILieCallSource
{
    /// <summary>The model's type name, for messages.</summary>
    string ModelName { get; }

    /// <summary>
    /// Whether two calls' gradient handles can be handles on one tensor (TorchScript taps); false when every handle is
    /// a distinct leaf (TorchSharp probes).
    /// </summary>
    bool HandlesMayAlias { get; }

    /// <summary>The model's plain forward (nothing observed).</summary>
    Tensor Forward(Tensor x);

    /// <summary>
    /// Runs the model once on <paramref name="x"/> (which requires grad) with grad mode on, and returns its output with
    /// every Tensor→Tensor module call in completion order, parents linked. Calls that cannot be observed are left to
    /// their parent's functional code and described in <paramref name="notes"/> (once per name). Tensors belong to
    /// the caller's dispose scope, or to the source until <see cref="ReleaseCapture"/>.
    /// </summary>
    (Tensor Output, IReadOnlyList<LieModuleCall> Calls) Capture(Tensor x, ISet<string> notes);

    /// <summary>Frees what the last <see cref="Capture"/> holds outside dispose scopes.</summary>
    void ReleaseCapture();
}
