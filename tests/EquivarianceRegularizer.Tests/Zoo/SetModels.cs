using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>DeepSets layer on (batch, set, features): y_i = tanh(W x_i + U mean_j x_j + b) — permutation equivariant along the set axis.</summary>
internal sealed class DeepSetsLayer : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear _element;
    private readonly TorchSharp.Modules.Linear _pooled;

    public DeepSetsLayer(long features, long outFeatures) : base("DeepSetsLayer")
    {
        _element = nn.Linear(features, outFeatures);
        Weights.Set(_element.weight!, Weights.Param(outFeatures, features));
        _pooled = nn.Linear(features, outFeatures, hasBias: false);
        Weights.Set(_pooled.weight!, Weights.Scaled(Weights.Param(outFeatures, features), 0.7));
        Weights.Set(_element.bias!, Weights.Param(outFeatures));
        register_module("element", _element);
        register_module("pooled", _pooled);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var pooled = input.mean(new long[] { 1 }, keepdim: true);
        var y = _element.call(input) + _pooled.call(pooled);
        return y.tanh().MoveToOuterDisposeScope();
    }
}

/// <summary>Tokens (N, L, E) → self-attention without positional encoding → mean over tokens → head: invariant to token order.</summary>
internal sealed class TokenSetAttention : nn.Module<Tensor, Tensor>
{
    private readonly MultiheadAttention attention;
    private readonly TorchSharp.Modules.Linear head;

    public TokenSetAttention() : base(nameof(TokenSetAttention))
    {
        using var g = new Generator(5);
        attention = nn.MultiheadAttention(8, 2).Seeded(g);
        head = nn.Linear(8, 3).Seeded(g);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var seqFirst = x.transpose(0, 1);
        var (attended, _) = attention.call(seqFirst, seqFirst, seqFirst, null, false, null);
        return head.call(attended.transpose(0, 1).mean(new long[] { 1 })).MoveToOuterDisposeScope();
    }
}
