namespace EquivarianceRegularizer.Evaluation;

/// <summary>The per-sample distances of one evaluation. Disposing releases every tensor and drawn element it owns.</summary>
public sealed class EvaluationResult : IDisposable
{
    private readonly List<GroupElements> _owned;

    internal EvaluationResult(Tensor modelOutput, Tensor[] transformedOutputs, Tensor[] distances, GroupElements[] inputElements, List<GroupElements> owned)
    {
        ModelOutput = modelOutput;
        TransformedOutputs = transformedOutputs;
        Distances = distances;
        InputElements = inputElements;
        _owned = owned;
    }

    /// <summary>model(v), batch first (differentiable unless evaluated under no_grad).</summary>
    public Tensor ModelOutput { get; }

    /// <summary>For each symmetry, model(ρ_in(g)·v) (batch first).</summary>
    public IReadOnlyList<Tensor> TransformedOutputs { get; }

    /// <summary>For each symmetry, dist(ρ_out(g)·model(v), model(ρ_in(g)·v)): shape (n), or a scalar for a reducing user distance.</summary>
    public IReadOnlyList<Tensor> Distances { get; }

    /// <summary>The elements drawn (or given) per symmetry; they acted on the inputs and, unless the symmetry is an invariance, on the outputs.</summary>
    public IReadOnlyList<GroupElements> InputElements { get; }

    /// <summary>Releases the tensors and the elements the evaluation drew.</summary>
    public void Dispose()
    {
        ModelOutput.Dispose();
        foreach (var y in TransformedOutputs) y.Dispose();
        foreach (var d in Distances) d.Dispose();
        foreach (var e in _owned) e.Dispose();
    }
}
