
namespace EquivarianceRegularizer.Audit;

/// <summary>Kinds of diagnosis (the JSON "kind" is the snake_case form).</summary>
public enum DiagnosisKind
{
    /// <summary>Layers behave differently in train mode (BatchNorm batch statistics, Dropout).</summary>
    TrainMode,
    /// <summary>A nonlinearity that does not commute with the group action on its features.</summary>
    Nonlinearity,
    /// <summary>A normalization over axes the group mixes.</summary>
    Normalization,
    /// <summary>The declared output action does not match what the model outputs.</summary>
    OutputTransform,
    /// <summary>Error from floating-point rounding only.</summary>
    Precision,
    /// <summary>A bug isolated to one (custom) module.</summary>
    CustomLayer,
    /// <summary>Error concentrated at the borders (padding).</summary>
    Boundary,
    /// <summary>Stride, pooling or odd/even sizes that break the symmetry of the sampling grid.</summary>
    Downsampling,
    /// <summary>NaN or infinite values.</summary>
    NonFinite,
}
