
namespace EquivarianceRegularizer.Audit;

/// <summary>Wall-clock seconds of one phase of an audit.</summary>
/// <param name="Phase">end_to_end, gradient or layers.</param>
/// <param name="Seconds">Seconds.</param>
public sealed record PhaseTiming(string Phase, double Seconds);
