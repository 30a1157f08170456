
namespace EquivarianceRegularizer.Audit;

/// <summary>Per-layer actions that replace the default (the input transform where the tensor's rank allows).</summary>
/// <param name="Input">Action on the layer's input.</param>
/// <param name="Output">Action on the layer's output.</param>
public sealed record LayerActionOverride(TensorAction Input, TensorAction Output);
