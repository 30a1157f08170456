namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>Argument checks shared by the layer constructors; each names the argument and what was expected.</summary>
internal static class Require
{
    internal static void Positive(long value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}.", name);
    }

    internal static void NonNegative(long value, string name)
    {
        if (value < 0) throw new ArgumentException($"{name} must be non-negative, got {value}.", name);
    }

    internal static void Positive(long[] values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Length == 0 || values.Any(v => v <= 0))
            throw new ArgumentException($"{name} must hold positive sizes, got [{string.Join(", ", values)}].", name);
    }

    internal static void NonNegative(long[] values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Any(v => v < 0))
            throw new ArgumentException($"{name} must be non-negative, got [{string.Join(", ", values)}].", name);
    }

    internal static void Probability(double p, string name)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"{name} must be a probability in [0, 1], got {p}.", name);
    }

    internal static void PositiveFinite(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentException($"{name} must be positive and finite, got {value}.", name);
    }

    internal static void Dimensions(Tensor input, string layer, params int[] allowed)
    {
        int d = input.dim();
        if (Array.IndexOf(allowed, d) < 0)
            throw new ArgumentException(
                $"{layer} expects a {string.Join(" or ", allowed.Select(a => $"{a}-D"))} input, got shape [{string.Join(", ", input.shape)}].", nameof(input));
    }

    internal static string Shape(long[] s) => "[" + string.Join(", ", s) + "]";
}
