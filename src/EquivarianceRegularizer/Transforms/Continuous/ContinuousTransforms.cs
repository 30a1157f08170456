namespace EquivarianceRegularizer.Transforms;

/// <summary>The built-in continuous transforms by command-line name.</summary>
public static class ContinuousTransforms
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = new[]
    {
        "translate-x", "translate-y", "translate", "rotate", "scale", "shear", "stretch", "brightness", "saturation", "hue",
    };

    /// <summary>Creates the transform called <paramref name="name"/> with default ranges and the given geometric options.</summary>
    public static IContinuousTransform Create(string name, ImageFlowOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "translate-x" or "tx" => new TranslationX(options: options),
            "translate-y" or "ty" => new TranslationY(options: options),
            "translate" or "translate-2d" => new Translation2D(options: options),
            "rotate" or "rotation" => new Rotation(options: options),
            "scale" or "scaling" => new Scaling(options: options),
            "shear" => new Shear(options: options),
            "stretch" => new Stretch(options: options),
            "brightness" => new Brightness(),
            "saturation" => new Saturation(),
            "hue" => new Hue(),
            _ => throw new ArgumentException($"Unknown continuous transform '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
