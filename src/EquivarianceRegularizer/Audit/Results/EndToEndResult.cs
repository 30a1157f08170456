
namespace EquivarianceRegularizer.Audit;

/// <summary>The end-to-end test: f(T x) against T' f(x) over samples and group elements.</summary>
public sealed class EndToEndResult
{
    /// <summary>Number of input samples.</summary>
    public required int Samples { get; init; }

    /// <summary>Number of group elements tested per sample.</summary>
    public required int Elements { get; init; }

    /// <summary>How elements were chosen ("all 3 non-identity elements of C4", "4 Haar-random draws per sample", …).</summary>
    public required string ElementSource { get; init; }

    /// <summary>Relative error of the identity element (or of a repeated forward when the group has no enumerable identity).</summary>
    public required double IdentityRelativeError { get; init; }

    /// <summary>What the identity check compared.</summary>
    public required string IdentityCheck { get; init; }

    /// <summary>Absolute errors.</summary>
    public required ErrorStats Absolute { get; init; }

    /// <summary>Relative errors.</summary>
    public required ErrorStats Relative { get; init; }

    /// <summary>The sample and element with the largest relative error.</summary>
    public required SampleError Worst { get; init; }

    /// <summary>Every relative error (sample-major within element), for the distribution plot.</summary>
    public required IReadOnlyList<double> RelativeErrors { get; init; }

    /// <summary>Mean output norm ‖f(x)‖ (zero means the test is vacuous).</summary>
    public required double MeanOutputNorm { get; init; }

    /// <summary>True when any output was NaN or infinite.</summary>
    public required bool NonFinite { get; init; }

    /// <summary>Spatial map of the output error when outputs are feature maps.</summary>
    public SpatialErrorMap? ErrorMap { get; init; }

    /// <summary>The grade of the largest relative error.</summary>
    public required ErrorGrade Grade { get; init; }
}
