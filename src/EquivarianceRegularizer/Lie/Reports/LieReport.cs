using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie.Reports;

/// <summary>
/// One LEE measurement of a model along several transforms, with what the numbers depend on (inputs, aggregation,
/// the transforms' frame and padding). Rendered by <see cref="LieJsonReport"/>, <see cref="LieHtmlReport"/> and
/// <see cref="LieMarkdownReport"/>.
/// </summary>
internal sealed record LieReport
{
    /// <summary>The model's name (its file name).</summary>
    public required string Model { get; init; }

    /// <summary>Shape of one input (without the batch axis).</summary>
    public required IReadOnlyList<long> InputShape { get; init; }

    /// <summary>Number of input samples.</summary>
    public required int Samples { get; init; }

    /// <summary>Where the inputs came from ("random" uniform [0, 1), or a data set's name).</summary>
    public required string Data { get; init; }

    /// <summary>Seed of the random inputs.</summary>
    public required ulong Seed { get; init; }

    /// <summary>The aggregation convention.</summary>
    public required LieAggregation Aggregation { get; init; }

    /// <summary>The geometric transforms' resampling, frame and derivative settings.</summary>
    public required ImageFlowOptions FlowOptions { get; init; }

    /// <summary>The mode the model was measured in ("eval").</summary>
    public string EvaluationMode { get; init; } = "eval";

    /// <summary>One result per transform, in the order asked for.</summary>
    public required IReadOnlyList<LieTransformResult> Results { get; init; }

    /// <summary>Notes for the reader (e.g. a train-mode model switched to eval mode).</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>
    /// <see cref="Notes"/>, then the layer-wise attributions' own notes (how the samples were chunked, pushes that went
    /// by double backward, calls counted in their parent's code), each once, prefixed with the transforms it concerns.
    /// The file reports carry these; the console shows them under each transform's layer table.
    /// </summary>
    public IReadOnlyList<string> AllNotes => Notes.Concat(Results
        .SelectMany(t => (t.Layers?.Notes ?? Array.Empty<string>()).Select(n => (t.Transform, Note: n)))
        .GroupBy(p => p.Note, StringComparer.Ordinal)
        .Select(g => $"Along {string.Join(", ", g.Select(p => p.Transform).Distinct(StringComparer.Ordinal))}: {g.Key}")).ToList();

    /// <summary>Wall-clock seconds of the measurement.</summary>
    public double Seconds { get; init; }

    /// <summary>"align_corners = false (frame unit W/2 pixels), zeros padding, central differences": the conventions in words.</summary>
    public string Conventions =>
        (FlowOptions.AlignCorners ? "align_corners = true (frame unit (W−1)/2 pixels, as the Lie-derivative paper's code)" : "align_corners = false (frame unit W/2 pixels)")
        + $", {FlowOptions.Padding.ToString().ToLowerInvariant()} padding, {FlowOptions.Interpolation.ToString().ToLowerInvariant()} interpolation, "
        + (FlowOptions.Derivative == SpatialDerivative.Fourier ? "Fourier derivative" : "central differences");
}
