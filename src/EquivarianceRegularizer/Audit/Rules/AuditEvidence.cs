using EquivarianceRegularizer.Audit.Phases;
using EquivarianceRegularizer.Models;
using System.Globalization;

namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>
/// All measurements the diagnosis rules and the verdict are drawn from, kept apart from the thresholds they are
/// judged against (<see cref="Th"/>) and from the conclusions (diagnoses, verdict, reasons).
/// </summary>
internal sealed record AuditEvidence(
    Symmetry Spec, Thresholds Th, ScalarType DType, bool Training, bool WasTraining, EvaluationMode Mode,
    EndToEndResult? EndToEnd, double IdentityRel, string? OutputActionError, PrecisionCheck? Precision,
    InterpolationBaseline? Baseline, IReadOnlyList<LayerResult> Layers, string? FirstFailing, GradientResult? Gradient,
    Probes Probes, int InputRank)
{
    /// <summary>True when the model's error is within the interpolation baseline of the transform.</summary>
    public bool WithinBaseline =>
        Baseline is { } b && EndToEnd is { } e && e.Relative.Max <= Th.BaselineFactor * b.MaxRelative + Th.Excellent;

    /// <summary>The end-to-end grade after accounting for the interpolation baseline.</summary>
    public ErrorGrade? EffectiveGrade =>
        EndToEnd is null ? null : WithinBaseline && EndToEnd.Grade > ErrorGrade.Excellent ? ErrorGrade.Excellent : EndToEnd.Grade;

    /// <summary>True when the end-to-end error, after the baseline, is approximate or broken.</summary>
    public bool EndToEndFails => EffectiveGrade is { } g && g >= ErrorGrade.Approximate;

    /// <summary>True when the float64 re-run collapsed the error: rounding, so no layer is blamed.</summary>
    public bool PrecisionOnly => Precision is { Collapsed: true };

    /// <summary>True when the other output kind (invariant ↔ equivariant) fits within the excellent band.</summary>
    public bool AlternativeOutputFits => Probes.AlternativeOutput is { } alt && alt.Rel < Th.Excellent;

    /// <summary>Leaf layers, and containers whose own code breaks the symmetry, whose own finite error is over the excellent band, in execution order.</summary>
    public IReadOnlyList<LayerResult> LayersBreakingAlone =>
        Layers.Where(l => l.BreaksAlone && !l.NonFinite).ToList();

    /// <summary>
    /// True when the model is exactly (perfect or excellent band) symmetric end to end while some of its layers are not on
    /// their own: a model symmetrized as a whole — averaged over the group, or with a canonicalized input. Its layers are
    /// not individually equivariant by design, which is not a fault.
    /// </summary>
    public bool SymmetricByDesign =>
        EndToEnd is { NonFinite: false } && EffectiveGrade is ErrorGrade.Perfect or ErrorGrade.Excellent && !PrecisionOnly
        && !IdentityFails && !GradientFails && EndToEnd.MeanOutputNorm != 0 && LayersBreakingAlone.Count > 0;

    // A gradient that breaks the symmetry means the end-to-end agreement is not the whole story (a layer whose output
    // is then averaged to ~0, say): its layers are diagnosed as usual.
    private bool GradientFails => Gradient is { Judged: true, Grade: { } g } && g >= ErrorGrade.Approximate;

    private bool IdentityFails => EndToEnd is { } e && !(e.IdentityRelativeError < Th.Excellent);

    /// <summary>
    /// The layers to diagnose as faults, in execution order: none when the problem is precision, or when the model is
    /// symmetric by design (<see cref="SymmetricByDesign"/>).
    /// </summary>
    public IReadOnlyList<LayerResult> FailingLayers => PrecisionOnly || SymmetricByDesign
        ? Array.Empty<LayerResult>()
        : LayersBreakingAlone;
}

/// <summary>How the rules and the verdict write numbers and layer evidence.</summary>
internal static class EvidenceText
{
    /// <summary>A number with three significant digits in exponent form (1.23e-4).</summary>
    public static string E(double v) => v.ToString("0.##e+0", CultureInfo.InvariantCulture);

    /// <summary>"name (Type) has own relative error … (method; input acted on by …, output by …)".</summary>
    public static string OfLayer(LayerResult l) =>
        $"{l.Name} ({LayerTaxonomy.ShortType(l.TypeName)}) has own relative error {E(l.OwnMaxRelative)} ({l.Method}; input acted on by {l.InputAction}, output by {l.OutputAction})";

    /// <summary>True when the map's error is over 3× higher along a border than inside (maps of at least 6×6).</summary>
    public static bool IsBorderConcentrated(SpatialErrorMap map, out double ratio)
    {
        int band = Math.Max(1, Math.Min(map.Height, map.Width) / 8);
        ratio = map.BorderToInteriorRatio(band);
        return map.Height >= 6 && map.Width >= 6 && ratio > 3;
    }
}
