using EquivarianceRegularizer.Sampling;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EquivarianceRegularizer.Lie;

/// <summary>A local equivariance error (LEE) with its standard error over samples. JSON-serialisable.</summary>
public sealed record LeeResult
{
    /// <summary>The transform's name (e.g. "translate-x").</summary>
    public required string Transform { get; init; }

    /// <summary>The aggregation convention used.</summary>
    public required LieAggregation Aggregation { get; init; }

    /// <summary>How the symmetry acted on the output: "Invariant" (trivially) or "Equivariant" (by a transform).</summary>
    public required string Output { get; init; }

    /// <summary>How the Lie derivative was computed: the method that ran (<see cref="LieDerivativeMethod.DoubleBackward"/> where
    /// forward mode was asked for and did not apply to the model).</summary>
    public required LieDerivativeMethod Method { get; init; }

    /// <summary>The mean over samples.</summary>
    public required double Value { get; init; }

    /// <summary>Standard error of the mean (sample standard deviation / √n; 0 for one sample).</summary>
    public required double StandardError { get; init; }

    /// <summary>Number of samples.</summary>
    public required int Samples { get; init; }

    /// <summary>The per-sample values whose mean is <see cref="Value"/>.</summary>
    public required IReadOnlyList<double> PerSample { get; init; }

    /// <summary>
    /// For a dense output: the width in pixels of the output's outer band left out of <see cref="Value"/>; null when the
    /// whole output counts (invariant outputs, or <see cref="LieOptions.DenseOutputBorder"/> = 0).
    /// </summary>
    public int? OutputBorderWidth { get; init; }

    /// <summary>
    /// The LEE of the output's border band (same aggregation and normalisation as <see cref="Value"/>, so
    /// Value + OutputBorderValue is the LEE of the whole output); null as for <see cref="OutputBorderWidth"/>.
    /// </summary>
    public double? OutputBorderValue { get; init; }

    /// <summary>Which part of the output the LEE covers, in words (the report prints it).</summary>
    public string Coverage => OutputBorderWidth is { } w
        ? FormattableString.Invariant($"interior of the output (its outer {w} px band, LEE {OutputBorderValue:G3}, reported apart)")
        : "the whole output";

    /// <summary>Indented JSON, enums as strings.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LieJson.Options);

    /// <summary>The LEE of <paramref name="perSample"/>: its mean and standard error, with how it was measured.</summary>
    internal static LeeResult Of(string transform, LieAggregation aggregation, bool equivariantOutput, LieDerivativeMethod method, IReadOnlyList<double> perSample)
    {
        var (mean, se) = SampleStatistics.MeanAndStandardError(perSample);
        return new LeeResult
        {
            Transform = transform,
            Aggregation = aggregation,
            Output = equivariantOutput ? "Equivariant" : "Invariant",
            Method = method,
            Value = mean,
            StandardError = se,
            Samples = perSample.Count,
            PerSample = perSample,
        };
    }
}
