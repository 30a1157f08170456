using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Lie;

/// <summary>One stage f_i of a model written as a composition f_N ∘ … ∘ f_1.</summary>
/// <param name="Name">Name in reports (e.g. the child's name "3").</param>
/// <param name="Kind">The layer's type (e.g. "Conv2d").</param>
/// <param name="Forward">The stage's computation (must be forward-mode differentiable).</param>
/// <param name="Role">Its role; <see cref="LayerRole.Other"/> is inferred from <paramref name="Kind"/> and from shapes when the stages are measured.</param>
internal sealed record LieStage(string Name, string Kind, Func<Tensor, Tensor> Forward, LayerRole Role = LayerRole.Other)
{
    /// <summary>Name in reports.</summary>
    public string Name { get; init; } = Name ?? throw new ArgumentNullException(nameof(Name));

    /// <summary>The layer's type.</summary>
    public string Kind { get; init; } = Kind ?? throw new ArgumentNullException(nameof(Kind));

    /// <summary>The stage's computation.</summary>
    public Func<Tensor, Tensor> Forward { get; init; } = Forward ?? throw new ArgumentNullException(nameof(Forward));
}
