namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>
/// Shared parts of <see cref="Conv1d"/> and <see cref="Conv2d"/>: argument checks and PyTorch's default initialisation
/// (weight kaiming-uniform with a = √5, i.e. U(±1/√fan_in); bias U(±1/√fan_in); fan_in = in_channels/groups · kernel size).
/// </summary>
public abstract class ConvNd : torch.nn.Module<Tensor, Tensor>
{
    private protected ConvNd(string name, long in_channels, long out_channels, long[] kernel_size, long[] stride, long[] padding,
        long[] dilation, long groups, bool hasBias, string padding_mode, ScalarType? dtype, Generator? generator) : base(name)
    {
        Require.Positive(in_channels, nameof(in_channels));
        Require.Positive(out_channels, nameof(out_channels));
        Require.Positive(kernel_size, nameof(kernel_size));
        Require.Positive(stride, nameof(stride));
        Require.NonNegative(padding, nameof(padding));
        Require.Positive(dilation, nameof(dilation));
        Require.Positive(groups, nameof(groups));
        if (in_channels % groups != 0)
            throw new ArgumentException($"in_channels ({in_channels}) must be divisible by groups ({groups}).", nameof(in_channels));
        if (out_channels % groups != 0)
            throw new ArgumentException($"out_channels ({out_channels}) must be divisible by groups ({groups}).", nameof(out_channels));
        if (padding_mode is not ("zeros" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"padding_mode must be zeros, reflect, replicate or circular, got '{padding_mode}'.", nameof(padding_mode));
        this.in_channels = in_channels;
        this.out_channels = out_channels;
        this.kernel_size = kernel_size;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        this.padding_mode = padding_mode;

        var shape = new long[2 + kernel_size.Length];
        shape[0] = out_channels;
        shape[1] = in_channels / groups;
        kernel_size.CopyTo(shape, 2);
        DefaultInit.RegisterWeightAndBias(this, shape, hasBias, dtype, generator);
    }

    /// <summary>Input channels.</summary>
    public long in_channels { get; }
    /// <summary>Output channels.</summary>
    public long out_channels { get; }
    /// <summary>Kernel size per spatial dimension.</summary>
    public long[] kernel_size { get; }
    /// <summary>Stride per spatial dimension.</summary>
    public long[] stride { get; }
    /// <summary>Padding per spatial dimension (both sides).</summary>
    public long[] padding { get; }
    /// <summary>Dilation per spatial dimension.</summary>
    public long[] dilation { get; }
    /// <summary>Number of channel groups.</summary>
    public long groups { get; }
    /// <summary>zeros, reflect, replicate or circular.</summary>
    public string padding_mode { get; }

    /// <summary>Weight, out_channels × in_channels/groups × kernel….</summary>
    public Tensor weight => GetParameter("weight")!;

    /// <summary>Bias (out_channels), or null when built with bias: false.</summary>
    public Tensor? bias => GetParameter("bias");

    private protected void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int spatial = kernel_size.Length;
        Require.Dimensions(input, TypeName, spatial + 1, spatial + 2);
        long c = input.size(-spatial - 1);
        if (c != in_channels)
            throw new ArgumentException($"{TypeName} expects {in_channels} input channels, got input shape {Require.Shape(input.shape)}.", nameof(input));
    }
}

/// <summary>1-D convolution over (N, C, L) or (C, L) inputs.</summary>
public sealed class Conv1d : ConvNd
{
    internal Conv1d(long in_channels, long out_channels, long kernel_size, long stride, long padding, string padding_mode,
        long dilation, long groups, bool hasBias, ScalarType? dtype, Generator? generator)
        : base(nameof(Conv1d), in_channels, out_channels, new[] { kernel_size }, new[] { stride }, new[] { padding },
            new[] { dilation }, groups, hasBias, padding_mode, dtype, generator)
    {
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        CheckInput(input);
        return torch.nn.functional.conv1d(input, weight, bias, stride[0], padding[0], dilation[0], groups, padding_mode);
    }
}

/// <summary>2-D convolution over (N, C, H, W) or (C, H, W) inputs.</summary>
public sealed class Conv2d : ConvNd
{
    internal Conv2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long) stride, (long, long) padding,
        string padding_mode, (long, long) dilation, long groups, bool hasBias, ScalarType? dtype, Generator? generator)
        : base(nameof(Conv2d), in_channels, out_channels, Pair(kernel_size), Pair(stride), Pair(padding), Pair(dilation),
            groups, hasBias, padding_mode, dtype, generator)
    {
    }

    private static long[] Pair((long, long) p) => new[] { p.Item1, p.Item2 };

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        CheckInput(input);
        if (padding_mode != "zeros" && input.dim() == 3)
        {
            // The non-zero padding modes pad a batch; lift an unbatched input to one.
            using var batched = input.unsqueeze(0);
            using var y = torch.nn.functional.conv2d(batched, weight, bias, stride, padding, dilation, groups, padding_mode);
            return y.squeeze(0);
        }
        return torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode);
    }
}
