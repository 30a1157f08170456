using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>Where the boundary handling of a Lie-derivative report came from.</summary>
public enum BoundarySource
{
    /// <summary>The transform's own <see cref="ImageFlowOptions.Padding"/>, as given.</summary>
    Transform,
    /// <summary>Taken from the model: its padded layers agree on one convention.</summary>
    Model,
}
