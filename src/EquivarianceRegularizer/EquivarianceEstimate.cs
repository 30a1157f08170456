namespace EquivarianceRegularizer;

/// <summary>The result of one evaluation: the differentiable penalty and, next to it, each chosen term's raw error and estimate.</summary>
public sealed class EquivarianceEstimate : IDisposable
{
    internal EquivarianceEstimate(Tensor penalty, IReadOnlyList<Tensor> errors, IReadOnlyList<TermEstimate> terms)
    {
        Penalty = penalty;
        Errors = errors;
        Terms = terms;
    }

    /// <summary>Σ over the chosen terms of λ·max(0, error − ε) (λ·(error − ε) for constrained terms): a differentiable scalar.</summary>
    public Tensor Penalty { get; }

    /// <summary>
    /// Each chosen term's raw error, mean over samples of the distance, before ε and λ: differentiable scalars in the
    /// order of <see cref="Terms"/> (for a constrained formulation of your own, or for logging).
    /// </summary>
    public IReadOnlyList<Tensor> Errors { get; }

    /// <summary>The chosen terms' estimates (values read back to the host), in constructor order.</summary>
    public IReadOnlyList<TermEstimate> Terms { get; }

    /// <summary>Releases <see cref="Penalty"/> and <see cref="Errors"/>.</summary>
    public void Dispose()
    {
        Penalty.Dispose();
        foreach (var e in Errors) e.Dispose();
    }
}
