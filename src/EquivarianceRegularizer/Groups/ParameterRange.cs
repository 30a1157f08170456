namespace EquivarianceRegularizer.Groups;

/// <summary>A closed interval [Min, Max] from which a transform draws its parameter uniformly.</summary>
public readonly record struct ParameterRange
{
    /// <summary>Creates [min, max]; both finite, min ≤ max.</summary>
    public ParameterRange(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
            throw new ArgumentOutOfRangeException(nameof(min), $"Range bounds must be finite, got [{min}, {max}].");
        if (min > max)
            throw new ArgumentOutOfRangeException(nameof(min), $"Range needs min <= max, got [{min}, {max}].");
        Min = min;
        Max = max;
    }

    /// <summary>The symmetric range [−halfWidth, halfWidth].</summary>
    public static ParameterRange Symmetric(double halfWidth) => new(-Math.Abs(halfWidth), Math.Abs(halfWidth));

    /// <summary>Lower bound.</summary>
    public double Min { get; }

    /// <summary>Upper bound.</summary>
    public double Max { get; }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"[{Min}, {Max}]");
}
