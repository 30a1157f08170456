using System.Globalization;

namespace EquivarianceRegularizer.Transforms;

/// <summary>A channel flow exp(tG) for a user-given C×C generator G (fixed C).</summary>
internal sealed class LinearChannelFlowTransform : ChannelFlowTransform
{
    private readonly double[,] _generator;

    /// <summary>Creates the flow of <paramref name="generator"/> (square, finite).</summary>
    public LinearChannelFlowTransform(string name, double[,] generator, ParameterRange range) : base(name, new RealGroup(range, describe: ContinuousGroup.DescribedAs(name)))
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (generator.GetLength(0) != generator.GetLength(1) || generator.GetLength(0) < 1)
            throw new ArgumentException($"The generator must be a non-empty square matrix, got {generator.GetLength(0)}×{generator.GetLength(1)}.", nameof(generator));
        foreach (var v in generator)
            if (!double.IsFinite(v)) throw new ArgumentException("The generator has a non-finite entry.", nameof(generator));
        _generator = AffineAlgebra.Copy(generator);
    }

    /// <inheritdoc/>
    public override double[,] GeneratorFor(long channels)
    {
        int c = _generator.GetLength(0);
        if (channels != c)
            throw new ArgumentException($"{Name} acts on {c} channels, got {channels}.", nameof(channels));
        return AffineAlgebra.Copy(_generator);
    }
}
