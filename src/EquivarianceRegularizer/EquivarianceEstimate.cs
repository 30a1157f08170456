namespace EquivarianceRegularizer;

/// <summary>The result of one evaluation: the differentiable penalty and, next to it, each chosen term's estimate.</summary>
public sealed class EquivarianceEstimate : IDisposable
{
    internal EquivarianceEstimate(Tensor penalty, IReadOnlyList<TermEstimate> terms)
    {
        Penalty = penalty;
        Terms = terms;
    }

    /// <summary>Σ over the chosen terms of λ·max(0, error − ε): a differentiable scalar.</summary>
    public Tensor Penalty { get; }

    /// <summary>The chosen terms' estimates, in constructor order.</summary>
    public IReadOnlyList<TermEstimate> Terms { get; }

    /// <summary>Releases <see cref="Penalty"/>.</summary>
    public void Dispose() => Penalty.Dispose();
}
