namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>
/// y = x·Wᵀ + b over the last dimension. Weight (out_features × in_features) and bias (out_features) start as
/// PyTorch's: U(−1/√in_features, 1/√in_features).
/// </summary>
public sealed class Linear : torch.nn.Module<Tensor, Tensor>
{
    internal Linear(long in_features, long out_features, bool hasBias, ScalarType? dtype, Generator? generator) : base(nameof(Linear))
    {
        Require.Positive(in_features, nameof(in_features));
        Require.Positive(out_features, nameof(out_features));
        this.in_features = in_features;
        this.out_features = out_features;
        DefaultInit.RegisterWeightAndBias(this, new[] { out_features, in_features }, hasBias, dtype, generator);
    }

    /// <summary>Size of each input's last dimension.</summary>
    public long in_features { get; }

    /// <summary>Size of each output's last dimension.</summary>
    public long out_features { get; }

    /// <summary>Weight, out_features × in_features.</summary>
    public Tensor weight => GetParameter("weight")!;

    /// <summary>Bias (out_features), or null when built with bias: false.</summary>
    public Tensor? bias => GetParameter("bias");

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() == 0 || input.size(-1) != in_features)
            throw new ArgumentException($"Linear({in_features}, {out_features}) expects a last dimension of {in_features}, got input shape {Require.Shape(input.shape)}.", nameof(input));
        return torch.nn.functional.linear(input, weight, bias);
    }
}
