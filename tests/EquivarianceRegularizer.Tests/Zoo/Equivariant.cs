using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>f(x) = x (a new handle over the input's storage).</summary>
internal sealed class IdentityModel() : nn.Module<Tensor, Tensor>("IdentityModel")
{
    public override Tensor forward(Tensor input) => input.alias();
}

/// <summary>
/// Pointwise (1×1) convolution C_in → C_out followed by tanh: commutes with every spatial permutation of pixels
/// (rotations, flips, rolls), also when the channel count changes.
/// </summary>
internal sealed class PointwiseConvModel : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;

    public PointwiseConvModel(long inChannels, long outChannels) : base("PointwiseConvModel")
    {
        _conv = nn.Conv2d(inChannels, outChannels, 1);
        Weights.Set(_conv.weight!, Weights.Param(outChannels, inChannels, 1, 1));
        Weights.Set(_conv.bias!, Weights.Param(outChannels));
        register_module("conv", _conv);
    }

    public override Tensor forward(Tensor input)
    {
        using var y = _conv.call(input);
        return y.tanh();
    }
}

/// <summary>A non-equivariant CNN (conv, relu, conv, relu, flatten, linear on 1×12×12) made C4 invariant by averaging it over the four rotations of its input.</summary>
internal sealed class C4AveragedCnn : nn.Module<Tensor, Tensor>
{
    private readonly Sequential net;

    public C4AveragedCnn() : base("C4Averaged")
    {
        using var g = new Generator(11);
        net = nn.Sequential(("conv1", nn.Conv2d(1, 6, 3, padding: 1).Seeded(g)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(6, 4, 3, padding: 1).Seeded(g)), ("relu2", nn.ReLU()), ("flatten", nn.Flatten()), ("fc", nn.Linear(4 * 12 * 12, 4).Seeded(g)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var total = net.call(x);
        for (int k = 1; k < 4; k++) total = total + net.call(x.rot90(k, (2, 3)));
        return (total / 4.0).MoveToOuterDisposeScope();
    }
}
