
namespace EquivarianceRegularizer.Audit.Rules;

/// <summary>Evaluates every <see cref="IDiagnosisRule"/> over the evidence and orders what they find.</summary>
internal static class Diagnostician
{
    /// <summary>
    /// One rule per <see cref="DiagnosisKind"/>. The order matters only for failing layers: each gets the diagnosis of
    /// the first rule that explains it (a border-concentrated map first, the catch-all custom-layer rule last).
    /// </summary>
    public static IReadOnlyList<IDiagnosisRule> Rules { get; } = new IDiagnosisRule[]
    {
        new OutputTransformRule(), new NonFiniteRule(), new PrecisionRule(),
        new BoundaryRule(), new TrainModeRule(), new NormalizationRule(), new NonlinearityRule(), new DownsamplingRule(),
        new CustomLayerRule(),
    };

    /// <summary>The diagnoses, in evidence order, one per kind and location.</summary>
    public static List<Diagnosis> Diagnose(AuditEvidence evidence)
    {
        var findings = Rules.SelectMany(r => r.Diagnose(evidence)).ToList();
        bool first = true;
        foreach (var layer in evidence.FailingLayers)
        {
            var severity = first ? Severity.High : Severity.Medium;
            first = false;
            var d = Rules.Select(r => r.ExplainLayer(layer, severity, evidence)).FirstOrDefault(x => x is not null);
            if (d is not null) findings.Add(new(EvidenceOrder.Layers, d));
        }
        return findings.OrderBy(f => f.Order) // stable: rules' own order, then layers in execution order
            .Select(f => f.Diagnosis).GroupBy(d => (d.Kind, d.Location)).Select(g => g.First()).ToList();
    }
}
