using System.Globalization;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// A one-parameter group acting linearly on the channel vector of every pixel: x ↦ exp(tG)·x, for tensors laid
/// out N×C×… (channels on axis 1). The Lie-algebra generator is the C×C matrix G, so the tangent is G·x,
/// computed analytically. Colour transforms (brightness, saturation, hue) are instances; they are exact on the
/// pixel grid (no interpolation) and are not clamped to [0, 1] (clamping would break the group law).
/// </summary>
internal abstract class ChannelFlowTransform : IContinuousTransform
{
    /// <summary>Creates the transform.</summary>
    protected ChannelFlowTransform(string name, ContinuousGroup group)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(group);
        if (group.ParameterCount != 1) throw new ArgumentException($"A channel flow is a one-parameter group; {group.Name} has {group.ParameterCount} parameters.", nameof(group));
        Name = name;
        Group = group;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The one-parameter group acting.</summary>
    public ContinuousGroup Group { get; }

    Group IGroupTransform.Group => Group;

    /// <summary>The interval each drawn parameter comes from (uniformly).</summary>
    public ParameterRange Range => Group.Range;

    /// <inheritdoc/>
    public bool IsExactOnGrid => true;

    /// <summary>The generator G (C×C) for tensors with <paramref name="channels"/> channels; throws when C is unsupported.</summary>
    public abstract double[,] GeneratorFor(long channels);

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
        var g = MatrixTensor(GeneratorFor(s[1]), x.dtype).OnDevice(x.device);
        var flat = x.reshape(s[0], s[1], -1);
        return g.matmul(flat).reshape(s).MoveToOuterDisposeScope();
    }

    private Tensor Act(Tensor x, double[] ts)
    {
        var s = x.shape;
        long c = s[1];
        var gen = GeneratorFor(c);
        var m = new double[ts.Length * c * c];
        var exps = MatrixExponential.Of(ts.Select(t => AffineAlgebra.Scale(gen, t)).ToArray());
        for (int i = 0; i < ts.Length; i++)
        {
            var e = exps[i];
            for (long r = 0; r < c; r++)
                for (long k = 0; k < c; k++) m[(i * c + r) * c + k] = e[r, k];
        }
        using var scope = NewDisposeScope();
        var mt = tensor(m, new[] { (long)ts.Length, c, c }).to(x.dtype, x.device, copy: true);
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
