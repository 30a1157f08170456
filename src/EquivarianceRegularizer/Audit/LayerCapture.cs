namespace EquivarianceRegularizer.Audit;

/// <summary>One submodule call seen during a forward: its dotted name, type, input and output.</summary>
/// <param name="Name">Dotted module name (e.g. "features.0").</param>
/// <param name="TypeName">Module type (e.g. "Conv2d").</param>
/// <param name="Input">The first tensor input, or null when the input is not a single tensor.</param>
/// <param name="Output">The tensor output, or null when the output is not a single tensor.</param>
/// <param name="GradientTarget">A graph-connected tensor whose gradient equals the gradient with respect to the
/// layer's output (the output itself, or a zero probe added to it), present when gradient probes were asked for.</param>
internal sealed record LayerCapture(string Name, string TypeName, Tensor? Input, Tensor? Output, Tensor? GradientTarget = null);
