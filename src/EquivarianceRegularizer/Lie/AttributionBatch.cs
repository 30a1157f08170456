namespace EquivarianceRegularizer.Lie;

/// <summary>One batch of a per-module attribution: every contribution C at the model's output, detached.</summary>
internal sealed class AttributionBatch
{
    /// <summary>The model's output.</summary>
    public required Tensor Output { get; init; }

    /// <summary>The end-to-end Lie derivative, by its own forward-mode jvp.</summary>
    public required Tensor Lie { get; init; }

    /// <summary>How the group acted on the output.</summary>
    public required bool EquivariantOutput { get; init; }

    /// <summary>Leaf modules and functional code: a partition of the computation, in completion order.</summary>
    public required List<(AttributionRow Row, Tensor Whole, Tensor? Border)> Rows { get; init; }

    /// <summary>Modules that contain others.</summary>
    public required List<(AttributionRow Row, Tensor Whole)> Containers { get; init; }
}
