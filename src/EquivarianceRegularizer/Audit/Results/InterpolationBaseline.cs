
namespace EquivarianceRegularizer.Audit;

/// <summary>The error of transforming an input there and back with an interpolating transform.</summary>
/// <param name="MeanRelative">Mean relative round-trip error.</param>
/// <param name="MaxRelative">Largest relative round-trip error.</param>
/// <param name="Mask">The validity mask the errors were measured in.</param>
public sealed record InterpolationBaseline(double MeanRelative, double MaxRelative, string Mask);
