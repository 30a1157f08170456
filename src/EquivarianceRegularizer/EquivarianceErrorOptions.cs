using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Sampling;

namespace EquivarianceRegularizer;

/// <summary>Settings of <see cref="EquivarianceError"/> beyond the reference package's arguments.</summary>
public sealed record EquivarianceErrorOptions
{
    /// <summary>
    /// Seed of every draw (points, chosen transforms, group elements). When neither this nor <see cref="Generator"/> is
    /// set, draws come from TorchSharp's default generator, which <c>torch.manual_seed</c> seeds.
    /// </summary>
    public ulong? Seed { get; init; }

    /// <summary>A generator of your own for every draw (not disposed by the regularizer); overrides <see cref="Seed"/>.</summary>
    public Generator? Generator { get; init; }

    /// <summary>How sampled calls draw their points: plain Monte Carlo (default) or <see cref="ScrambledSobolSampler"/>.</summary>
    public IPointSampler Sampler { get; init; } = MonteCarloSampler.Instance;

    /// <summary>Normalise each sample's distance by the size of f_out(model(v)) (a relative error).</summary>
    public bool Relative { get; init; }

    /// <summary>Hinge per sample: λ·mean(max(0, d_i − ε)) instead of λ·max(0, mean(d_i) − ε).</summary>
    public bool PerSampleHinge { get; init; }

    /// <summary>Batching, memory budget and norm-statistics settings of the shared evaluation (Relative is taken from here too when set).</summary>
    public EvaluationOptions Evaluation { get; init; } = EvaluationOptions.Default;

    /// <summary>
    /// Check outputs, distances and points for NaN, infinite and negative values on every call, not only in
    /// <see cref="EquivarianceError.Estimate"/>. Off by default: each check copies a flag from the model's device, which
    /// stalls an accelerator once per check; a NaN in the model's outputs then shows as a NaN penalty (and loss).
    /// <see cref="NonFiniteSamples.Skip"/> reads the flags on every call whatever this says.
    /// </summary>
    public bool CheckEveryCall { get; init; }

    /// <summary>What a call does when samples give NaN or infinite outputs or distances: throw (default) or leave them out.</summary>
    public NonFiniteSamples NonFiniteSamples { get; init; } = NonFiniteSamples.Throw;
}
