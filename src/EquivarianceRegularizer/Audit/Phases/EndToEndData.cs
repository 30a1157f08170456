
namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>Measurements of one end-to-end pass (before they become an <see cref="EndToEndResult"/>).</summary>
internal sealed class EndToEndData
{
    public List<double> Abs { get; } = new();
    public List<double> Rel { get; } = new();
    public List<(int Sample, int Element)> Index { get; } = new();
    public double[]? Spatial { get; set; }
    public int H { get; set; }
    public int W { get; set; }
    public bool NonFinite { get; set; }
    public double MeanOutputNorm { get; set; }

    public double MaxRel => Rel.Count == 0 ? double.NaN : Rel.Any(v => !double.IsFinite(v)) ? double.PositiveInfinity : Rel.Max();

    public int WorstEntry()
    {
        int best = 0;
        for (int i = 1; i < Rel.Count; i++)
            if (!(Rel[i] <= Rel[best])) best = i; // NaN or larger wins
        return best;
    }
}
