
namespace EquivarianceRegularizer.Audit;

/// <summary>The float64 re-run that separates precision problems from real ones.</summary>
/// <param name="ModelDTypeMaxRelative">Largest relative error in the model's dtype.</param>
/// <param name="Float64MaxRelative">Largest relative error with the model converted to float64.</param>
/// <param name="Collapsed">True when float64 shrinks the error by the collapse factor and below the model dtype's perfect band: a precision problem.</param>
public sealed record PrecisionCheck(double ModelDTypeMaxRelative, double Float64MaxRelative, bool Collapsed);
