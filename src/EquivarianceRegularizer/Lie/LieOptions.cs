namespace EquivarianceRegularizer.Lie;

/// <summary>Settings of a Lie-derivative measurement.</summary>
public sealed record LieOptions
{
    /// <summary>Defaults: mean square, forward mode, batches of 64.</summary>
    public static LieOptions Default { get; } = new();

    /// <summary>The aggregation convention.</summary>
    public LieAggregation Aggregation { get; init; } = LieAggregation.MeanSquare;

    /// <summary>How the Lie derivative is computed.</summary>
    public LieDerivativeMethod Method { get; init; } = LieDerivativeMethod.ForwardMode;

    /// <summary>Step h of <see cref="LieDerivativeMethod.FiniteDifference"/>.</summary>
    public double FiniteDifferenceStep { get; init; } = 1e-3;

    /// <summary>Samples per model evaluation.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Keep the autograd graph so the Lie derivative can be backpropagated to the model's parameters (reverse over
    /// forward mode, e.g. to train with an LEE penalty). Off by default: measuring needs no backward graph.
    /// </summary>
    public bool Differentiable { get; init; }

    /// <summary>
    /// Per-module attribution (<see cref="ModelLieAttribution"/>) of a geometric transform: take the boundary handling of
    /// the tangent's spatial derivative from the model's own padded layers when they agree (on by default; the report's
    /// <see cref="LayerwiseLeeReport.Boundary"/> says what was found). Off: the transform's own padding is used as given.
    /// </summary>
    public bool BoundaryFromModel { get; init; } = true;

    /// <summary>Width in pixels of the border band whose share per-module attribution reports apart from the interior (default 2: a 3×3 convolution's padding plus the central difference's reach).</summary>
    public int BorderWidth { get; init; } = 2;

    /// <summary>
    /// Dense outputs (feature maps the transform acts on, as a segmentation model's): width in pixels of the output's
    /// outer band whose Lie derivative is left out of the LEE and reported apart (<see cref="LeeResult.OutputBorderValue"/>),
    /// so that the padding at the image's edge does not dominate the number. Default 2 (a 3×3 convolution's padding
    /// plus the central difference's reach); 0 counts the whole output.
    /// </summary>
    public int DenseOutputBorder { get; init; } = 2;
}
