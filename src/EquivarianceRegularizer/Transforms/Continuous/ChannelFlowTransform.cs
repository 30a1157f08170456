using System.Globalization;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A one-parameter group acting linearly on the channel vector of every pixel: x ↦ exp(tG)·x, for tensors laid
/// out N×C×… (channels on axis 1). The Lie-algebra generator is the C×C matrix G, so the tangent is G·x,
/// computed analytically. Colour transforms (brightness, saturation, hue) are instances; they are exact on the
/// pixel grid (no interpolation) and are not clamped to [0, 1] (clamping would break the group law).
/// </summary>
public abstract class ChannelFlowTransform : IContinuousTransform
{
    /// <summary>Creates the transform.</summary>
    protected ChannelFlowTransform(string name, string group, ParameterRange range)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(group);
        Name = name;
        Group = group;
        Range = range;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Group { get; }

    /// <summary>The interval each drawn parameter comes from (uniformly).</summary>
    public ParameterRange Range { get; }

    /// <inheritdoc/>
    public bool IsExactOnGrid => true;

    /// <summary>The generator G (C×C) for tensors with <paramref name="channels"/> channels; throws when C is unsupported.</summary>
    public abstract double[,] GeneratorFor(long channels);

    /// <inheritdoc/>
    public GroupElements Sample(long batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Batch size must be at least 1.");
        using var scope = NewDisposeScope();
        var u = rand(new[] { batch, 1L }, dtype: ScalarType.Float64, generator: generator);
        var values = (u * (Range.Max - Range.Min) + Range.Min).MoveToOuterDisposeScope();
        var data = values.ToArrayDouble();
        string name = Name;
        return new GroupElements(Group, values, i => name + " " + data[i].ToString("G4", CultureInfo.InvariantCulture));
    }

    /// <inheritdoc/>
    public Tensor Apply(Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(elements);
        Check(x);
        long n = x.size(0);
        var shape = elements.Values.shape;
        if (shape.Length != 2 || shape[0] != n || shape[1] != 1)
            throw new ArgumentException($"{Name}: elements must be {n}×1 (one row per sample), got [{string.Join(", ", shape)}].", nameof(elements));
        return Act(x, elements.Values.ToArrayDouble());
    }

    /// <inheritdoc/>
    public Tensor ApplyAt(Tensor x, double t)
    {
        ArgumentNullException.ThrowIfNull(x);
        Check(x);
        if (!double.IsFinite(t)) throw new ArgumentOutOfRangeException(nameof(t), t, "t must be finite.");
        var ts = new double[x.size(0)];
        Array.Fill(ts, t);
        return Act(x, ts);
    }

    /// <inheritdoc/>
    public Tensor Tangent(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Check(x);
        var s = x.shape;
        using var scope = NewDisposeScope();
        var g = MatrixTensor(GeneratorFor(s[1]), x.dtype);
        var flat = x.reshape(s[0], s[1], -1);
        return g.matmul(flat).reshape(s).MoveToOuterDisposeScope();
    }

    private Tensor Act(Tensor x, double[] ts)
    {
        var s = x.shape;
        long c = s[1];
        var gen = GeneratorFor(c);
        var m = new double[ts.Length * c * c];
        for (int i = 0; i < ts.Length; i++)
        {
            var e = AffineAlgebra.Expm(AffineAlgebra.Scale(gen, ts[i]));
            for (long r = 0; r < c; r++)
                for (long k = 0; k < c; k++) m[(i * c + r) * c + k] = e[r, k];
        }
        using var scope = NewDisposeScope();
        var mt = tensor(m, new[] { (long)ts.Length, c, c }).to(x.dtype, copy: true);
        return mt.matmul(x.reshape(s[0], c, -1)).reshape(s).MoveToOuterDisposeScope();
    }

    private static Tensor MatrixTensor(double[,] g, ScalarType dtype)
    {
        using var t = tensor(g);
        return t.to(dtype, copy: true);
    }

    private void Check(Tensor x)
    {
        var s = x.shape;
        if (s.Length < 2)
            throw new ArgumentException($"{Name} expects N×C×… tensors (channels on axis 1), got shape [{string.Join(", ", s)}].", nameof(x));
        if (!x.dtype.IsFloatingPoint())
            throw new ArgumentException($"{Name} expects float32 or float64, got {x.dtype}.", nameof(x));
        GeneratorFor(s[1]);
    }

    /// <summary>A 3-channel generator check.</summary>
    protected double[,] RequireRgb(long channels, double[,] generator)
    {
        if (channels != 3)
            throw new ArgumentException($"{Name} acts on RGB images (3 channels on axis 1), got {channels} channels.", nameof(channels));
        return generator;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Group}, t in {Range})";
}

/// <summary>Brightness: x ↦ e^t·x on every channel (generator G = I; tangent x). Any number of channels.</summary>
public sealed class Brightness : ChannelFlowTransform
{
    /// <summary>Creates it; default range ±0.2 (factors 0.82…1.22).</summary>
    public Brightness(ParameterRange? range = null) : base("brightness", "R+(brightness)", range ?? ParameterRange.Symmetric(0.2)) { }

    /// <inheritdoc/>
    public override double[,] GeneratorFor(long channels)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Needs at least one channel.");
        return AffineAlgebra.Identity((int)channels);
    }
}

/// <summary>
/// Saturation: x ↦ gray + e^t·(x − gray) with gray = 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma, as
/// torchvision's adjust_saturation); generator G = I − 1·wᵀ, tangent x − gray(x). RGB only.
/// </summary>
public sealed class Saturation : ChannelFlowTransform
{
    /// <summary>Luma weights.</summary>
    public static readonly double[] LumaWeights = { 0.299, 0.587, 0.114 };

    /// <summary>Creates it; default range ±0.3.</summary>
    public Saturation(ParameterRange? range = null) : base("saturation", "R+(saturation)", range ?? ParameterRange.Symmetric(0.3)) { }

    /// <inheritdoc/>
    public override double[,] GeneratorFor(long channels)
    {
        var g = new double[3, 3];
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 3; k++) g[r, k] = (r == k ? 1 : 0) - LumaWeights[k];
        return RequireRgb(channels, g);
    }
}

/// <summary>
/// Hue: rotation of the RGB vector by t radians about the gray axis (1, 1, 1)/√3, which keeps the mean intensity
/// and turns the chroma; generator G·v = n × v. Periodic with period 2π. RGB only.
/// </summary>
public sealed class Hue : ChannelFlowTransform
{
    /// <summary>Creates it; default range ±π/6.</summary>
    public Hue(ParameterRange? range = null) : base("hue", "SO(2)(hue)", range ?? ParameterRange.Symmetric(Math.PI / 6)) { }

    /// <inheritdoc/>
    public override double[,] GeneratorFor(long channels)
    {
        double a = 1 / Math.Sqrt(3);
        return RequireRgb(channels, new double[,] { { 0, -a, a }, { a, 0, -a }, { -a, a, 0 } });
    }
}

/// <summary>A channel flow exp(tG) for a user-given C×C generator G (fixed C).</summary>
public sealed class LinearChannelFlowTransform : ChannelFlowTransform
{
    private readonly double[,] _generator;

    /// <summary>Creates the flow of <paramref name="generator"/> (square, finite).</summary>
    public LinearChannelFlowTransform(string name, double[,] generator, ParameterRange range) : base(name, "flow(" + name + ")", range)
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
