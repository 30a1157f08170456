namespace EquivarianceRegularizer.Lie;

/// <summary>What a stage does, for grouping per-layer contributions (e.g. "share of LEE from downsampling").</summary>
public enum LayerRole
{
    /// <summary>Anything else (composite blocks, reshapes).</summary>
    Other,
    /// <summary>Convolutions and fully connected layers (stride 1).</summary>
    Linear,
    /// <summary>Pointwise nonlinearities (ReLU, GELU, …).</summary>
    Nonlinearity,
    /// <summary>Stages that reduce the spatial resolution (strided convolutions, pooling, blur-pooling).</summary>
    Downsampling,
    /// <summary>Global pooling to one value per channel.</summary>
    GlobalPooling,
    /// <summary>Normalization layers.</summary>
    Normalization,
    /// <summary>Functional code a module's forward runs itself, outside its children (a relu, a mean, a residual sum).</summary>
    Functional,
}
