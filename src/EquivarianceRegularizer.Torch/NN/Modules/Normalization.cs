using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>
/// Batch normalization over the channel dimension (dimension 1). In training mode it normalizes with the batch's
/// statistics and updates the buffers running_mean / running_var (exponential average with <see cref="momentum"/>,
/// or a cumulative average when momentum is null) and counts batches in num_batches_tracked; in eval mode it uses the
/// running statistics.
/// </summary>
public abstract class BatchNorm : torch.nn.Module<Tensor, Tensor>
{
    private readonly int[] _allowedDims;

    private protected BatchNorm(string name, int[] allowedDims, long num_features, double eps, double? momentum, bool affine,
        bool track_running_stats, ScalarType? dtype) : base(name)
    {
        Require.Positive(num_features, nameof(num_features));
        Require.PositiveFinite(eps, nameof(eps));
        if (momentum is { } m && !(m >= 0 && m <= 1)) throw new ArgumentException($"momentum must be in [0, 1] or null, got {m}.", nameof(momentum));
        _allowedDims = allowedDims;
        this.num_features = num_features;
        this.eps = eps;
        this.momentum = momentum;
        this.affine = affine;
        this.track_running_stats = track_running_stats;
        register_parameter("weight", affine ? torch.ones(new[] { num_features }, dtype) : null);
        register_parameter("bias", affine ? torch.zeros(new[] { num_features }, dtype) : null);
        register_buffer("running_mean", track_running_stats ? torch.zeros(new[] { num_features }, dtype) : null);
        register_buffer("running_var", track_running_stats ? torch.ones(new[] { num_features }, dtype) : null);
        register_buffer("num_batches_tracked", track_running_stats ? torch.zeros(Array.Empty<long>(), ScalarType.Int64) : null);
    }

    /// <summary>Number of channels.</summary>
    public long num_features { get; }
    /// <summary>Added to the variance for stability.</summary>
    public double eps { get; }
    /// <summary>Weight of the newest batch in the running statistics; null for a cumulative average.</summary>
    public double? momentum { get; set; }
    /// <summary>Whether the layer has a learnable scale and shift.</summary>
    public bool affine { get; }
    /// <summary>Whether running statistics are kept (and used in eval mode).</summary>
    public bool track_running_stats { get; }

    /// <summary>Scale (num_features), or null when not affine.</summary>
    public Tensor? weight => GetParameter("weight");
    /// <summary>Shift (num_features), or null when not affine.</summary>
    public Tensor? bias => GetParameter("bias");
    /// <summary>Running mean buffer, or null without running statistics.</summary>
    public Tensor? running_mean => GetBuffer("running_mean");
    /// <summary>Running variance buffer (unbiased batch variances), or null without running statistics.</summary>
    public Tensor? running_var => GetBuffer("running_var");
    /// <summary>Number of training batches seen (int64 scalar), or null without running statistics.</summary>
    public Tensor? num_batches_tracked => GetBuffer("num_batches_tracked");

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require.Dimensions(input, TypeName, _allowedDims);
        if (input.size(1) != num_features)
            throw new ArgumentException($"{TypeName}({num_features}) expects {num_features} channels in dimension 1, got input shape {Require.Shape(input.shape)}.", nameof(input));
        double factor = momentum ?? 0.0;
        if (training && track_running_stats)
        {
            var count = num_batches_tracked!;
            Ops.CallInPlace("add_.Scalar", count, 1L, 1L);
            if (momentum is null) factor = 1.0 / count.item();
        }
        bool useBatchStats = training || !track_running_stats;
        bool updateStats = !training || track_running_stats;
        return torch.nn.functional.batch_norm(input, updateStats ? running_mean : null, updateStats ? running_var : null,
            weight, bias, useBatchStats, factor, eps);
    }
}

/// <summary>Batch normalization of (N, C) or (N, C, L) inputs.</summary>
public sealed class BatchNorm1d : BatchNorm
{
    private static readonly int[] Dims = { 2, 3 };

    internal BatchNorm1d(long num_features, double eps, double? momentum, bool affine, bool track_running_stats, ScalarType? dtype)
        : base(nameof(BatchNorm1d), Dims, num_features, eps, momentum, affine, track_running_stats, dtype)
    {
    }
}

/// <summary>Batch normalization of (N, C, H, W) inputs.</summary>
public sealed class BatchNorm2d : BatchNorm
{
    private static readonly int[] Dims = { 4 };

    internal BatchNorm2d(long num_features, double eps, double? momentum, bool affine, bool track_running_stats, ScalarType? dtype)
        : base(nameof(BatchNorm2d), Dims, num_features, eps, momentum, affine, track_running_stats, dtype)
    {
    }
}

/// <summary>Layer normalization over the trailing <see cref="normalized_shape"/> dimensions, with an elementwise affine map.</summary>
public sealed class LayerNorm : torch.nn.Module<Tensor, Tensor>
{
    internal LayerNorm(long[] normalized_shape, double eps, bool elementwise_affine, ScalarType? dtype) : base(nameof(LayerNorm))
    {
        Require.Positive(normalized_shape, nameof(normalized_shape));
        Require.PositiveFinite(eps, nameof(eps));
        this.normalized_shape = (long[])normalized_shape.Clone();
        this.eps = eps;
        this.elementwise_affine = elementwise_affine;
        register_parameter("weight", elementwise_affine ? torch.ones(this.normalized_shape, dtype) : null);
        register_parameter("bias", elementwise_affine ? torch.zeros(this.normalized_shape, dtype) : null);
    }

    /// <summary>The trailing shape normalized over.</summary>
    public long[] normalized_shape { get; }
    /// <summary>Added to the variance for stability.</summary>
    public double eps { get; }
    /// <summary>Whether the layer has a learnable scale and shift.</summary>
    public bool elementwise_affine { get; }
    /// <summary>Scale, or null.</summary>
    public Tensor? weight => GetParameter("weight");
    /// <summary>Shift, or null.</summary>
    public Tensor? bias => GetParameter("bias");

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var s = input.shape;
        int k = normalized_shape.Length;
        if (s.Length < k || !s.AsSpan(s.Length - k).SequenceEqual(normalized_shape))
            throw new ArgumentException($"LayerNorm({Require.Shape(normalized_shape)}) expects an input ending in that shape, got {Require.Shape(s)}.", nameof(input));
        return torch.nn.functional.layer_norm(input, normalized_shape, weight, bias, eps);
    }
}

/// <summary>Group normalization: channels are split into <see cref="num_groups"/> groups normalized separately.</summary>
public sealed class GroupNorm : torch.nn.Module<Tensor, Tensor>
{
    internal GroupNorm(long num_groups, long num_channels, double eps, bool affine, ScalarType? dtype) : base(nameof(GroupNorm))
    {
        Require.Positive(num_groups, nameof(num_groups));
        Require.Positive(num_channels, nameof(num_channels));
        Require.PositiveFinite(eps, nameof(eps));
        if (num_channels % num_groups != 0)
            throw new ArgumentException($"num_channels ({num_channels}) must be divisible by num_groups ({num_groups}).", nameof(num_channels));
        this.num_groups = num_groups;
        this.num_channels = num_channels;
        this.eps = eps;
        this.affine = affine;
        register_parameter("weight", affine ? torch.ones(new[] { num_channels }, dtype) : null);
        register_parameter("bias", affine ? torch.zeros(new[] { num_channels }, dtype) : null);
    }

    /// <summary>Number of groups.</summary>
    public long num_groups { get; }
    /// <summary>Number of channels.</summary>
    public long num_channels { get; }
    /// <summary>Added to the variance for stability.</summary>
    public double eps { get; }
    /// <summary>Whether the layer has a learnable per-channel scale and shift.</summary>
    public bool affine { get; }
    /// <summary>Scale, or null.</summary>
    public Tensor? weight => GetParameter("weight");
    /// <summary>Shift, or null.</summary>
    public Tensor? bias => GetParameter("bias");

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() < 2 || input.size(1) != num_channels)
            throw new ArgumentException($"GroupNorm expects {num_channels} channels in dimension 1, got input shape {Require.Shape(input.shape)}.", nameof(input));
        return torch.nn.functional.group_norm(input, num_groups, weight, bias, eps);
    }
}
