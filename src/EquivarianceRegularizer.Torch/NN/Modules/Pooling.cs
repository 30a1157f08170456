using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>2-D max pooling over (N, C, H, W) or (C, H, W) inputs.</summary>
public sealed class MaxPool2d : torch.nn.Module<Tensor, Tensor>
{
    internal MaxPool2d((long, long) kernel_size, (long, long)? stride, (long, long) padding, (long, long) dilation, bool ceil_mode)
        : base(nameof(MaxPool2d))
    {
        this.kernel_size = new[] { kernel_size.Item1, kernel_size.Item2 };
        this.stride = stride is { } s ? new[] { s.Item1, s.Item2 } : (long[])this.kernel_size.Clone();
        this.padding = new[] { padding.Item1, padding.Item2 };
        this.dilation = new[] { dilation.Item1, dilation.Item2 };
        this.ceil_mode = ceil_mode;
        Require.Positive(this.kernel_size, nameof(kernel_size));
        Require.Positive(this.stride, nameof(stride));
        Require.NonNegative(this.padding, nameof(padding));
        Require.Positive(this.dilation, nameof(dilation));
        if (this.padding[0] * 2 > this.kernel_size[0] || this.padding[1] * 2 > this.kernel_size[1])
            throw new ArgumentException($"padding {Require.Shape(this.padding)} must be at most half of kernel_size {Require.Shape(this.kernel_size)}.", nameof(padding));
    }

    /// <summary>Window size.</summary>
    public long[] kernel_size { get; }
    /// <summary>Window step.</summary>
    public long[] stride { get; }
    /// <summary>Implicit −∞ padding on both sides.</summary>
    public long[] padding { get; }
    /// <summary>Spacing between window elements.</summary>
    public long[] dilation { get; }
    /// <summary>Whether the output size rounds up.</summary>
    public bool ceil_mode { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require.Dimensions(input, TypeName, 3, 4);
        return Ops.Call("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode);
    }
}

/// <summary>2-D average pooling over (N, C, H, W) or (C, H, W) inputs.</summary>
public sealed class AvgPool2d : torch.nn.Module<Tensor, Tensor>
{
    internal AvgPool2d((long, long) kernel_size, (long, long)? stride, (long, long) padding, bool ceil_mode, bool count_include_pad)
        : base(nameof(AvgPool2d))
    {
        this.kernel_size = new[] { kernel_size.Item1, kernel_size.Item2 };
        this.stride = stride is { } s ? new[] { s.Item1, s.Item2 } : (long[])this.kernel_size.Clone();
        this.padding = new[] { padding.Item1, padding.Item2 };
        this.ceil_mode = ceil_mode;
        this.count_include_pad = count_include_pad;
        Require.Positive(this.kernel_size, nameof(kernel_size));
        Require.Positive(this.stride, nameof(stride));
        Require.NonNegative(this.padding, nameof(padding));
        if (this.padding[0] * 2 > this.kernel_size[0] || this.padding[1] * 2 > this.kernel_size[1])
            throw new ArgumentException($"padding {Require.Shape(this.padding)} must be at most half of kernel_size {Require.Shape(this.kernel_size)}.", nameof(padding));
    }

    /// <summary>Window size.</summary>
    public long[] kernel_size { get; }
    /// <summary>Window step.</summary>
    public long[] stride { get; }
    /// <summary>Implicit zero padding on both sides.</summary>
    public long[] padding { get; }
    /// <summary>Whether the output size rounds up.</summary>
    public bool ceil_mode { get; }
    /// <summary>Whether padded zeros count in the average.</summary>
    public bool count_include_pad { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require.Dimensions(input, TypeName, 3, 4);
        return Ops.Call("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, A.None);
    }
}

/// <summary>2-D adaptive average pooling to a fixed output size (H_out, W_out).</summary>
public sealed class AdaptiveAvgPool2d : torch.nn.Module<Tensor, Tensor>
{
    internal AdaptiveAvgPool2d((long, long) output_size) : base(nameof(AdaptiveAvgPool2d))
    {
        this.output_size = new[] { output_size.Item1, output_size.Item2 };
        Require.Positive(this.output_size, nameof(output_size));
    }

    /// <summary>Output spatial size.</summary>
    public long[] output_size { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require.Dimensions(input, TypeName, 3, 4);
        return torch.nn.functional.adaptive_avg_pool2d(input, output_size);
    }
}
