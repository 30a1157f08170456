
namespace EquivarianceRegularizer.Audit;

/// <summary>The error of one sample under one group element.</summary>
/// <param name="Sample">Index of the input sample.</param>
/// <param name="Element">The group element, described.</param>
/// <param name="Absolute">‖f(Tx) − T'f(x)‖₂ over the sample's output.</param>
/// <param name="Relative">Absolute error divided by ‖T'f(x)‖₂.</param>
public sealed record SampleError(int Sample, string Element, double Absolute, double Relative);
