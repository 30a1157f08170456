
namespace EquivarianceRegularizer.Audit;

/// <summary>The end-to-end error of the same architecture freshly initialised.</summary>
/// <param name="MaxRelative">Largest relative error of the fresh model.</param>
/// <param name="MeanRelative">Mean relative error of the fresh model.</param>
/// <param name="Ratio">Trained max error divided by fresh max error (below 1: training made the model more equivariant).</param>
public sealed record RandomInitBaseline(double MaxRelative, double MeanRelative, double Ratio);
