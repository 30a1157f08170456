using EquivarianceRegularizer.Sampling;
namespace EquivarianceRegularizer.Lie;

/// <summary>Per-sample LEE values and projections of one attribution row, accumulated over batches.</summary>
internal sealed class RowStatistics
{
    private readonly List<double> _whole = new();
    private readonly List<double> _border = new();
    private readonly List<double> _interior = new();
    private double _projection;
    private bool _hasBand;

    /// <summary>The row's LEE so far.</summary>
    public double Lee => _whole.Count == 0 ? 0 : _whole.Average();

    public void Add(Tensor whole, Tensor? border, Tensor y, Tensor lieMeasured, LieAggregation aggregation, bool equivariantOutput)
    {
        _whole.AddRange(LocalEquivarianceError.PerSample(whole, y, aggregation, equivariantOutput));
        _projection += (Measured(whole, y, aggregation) * lieMeasured).sum().ToDouble();
        if (border is null) return;
        _hasBand = true;
        _border.AddRange(LocalEquivarianceError.PerSample(border, y, aggregation, equivariantOutput));
        _interior.AddRange(LocalEquivarianceError.PerSample(whole - border, y, aggregation, equivariantOutput));
    }

    public LayerContribution ToContribution(AttributionRow row, int index, double share, double cumulative, double totalSquare, double borderOnlyRatio)
    {
        var (mean, se) = SampleStatistics.MeanAndStandardError(_whole);
        double? border = _hasBand ? _border.Average() : null;
        double? interior = _hasBand ? _interior.Average() : null;
        return new LayerContribution
        {
            Index = index,
            Name = row.Name,
            Kind = row.Kind,
            Role = row.Role,
            OutputShape = row.OutputShape,
            EquivariantOutput = row.EquivariantOutput,
            Lee = mean,
            StandardError = se,
            Share = share,
            CumulativeShare = cumulative,
            ProjectionShare = totalSquare > 0 ? _projection / totalSquare : 0,
            Parent = row.Parent,
            IsFunctional = row.IsFunctional,
            BorderLee = border,
            InteriorLee = interior,
            BorderOnly = _hasBand && mean > 0 && interior <= borderOnlyRatio * mean,
        };
    }

    /// <summary>The Lie derivative as the aggregation sees it (the softmax tangent for the softmax convention), N×D float64.</summary>
    public static Tensor Measured(Tensor lie, Tensor y, LieAggregation aggregation)
    {
        long n = lie.size(0);
        var flat = lie.reshape(n, -1).to(ScalarType.Float64);
        return aggregation == LieAggregation.MeanAbsoluteSoftmax
            ? LocalEquivarianceError.SoftmaxTangent(y.to(ScalarType.Float64), flat)
            : flat;
    }
}
