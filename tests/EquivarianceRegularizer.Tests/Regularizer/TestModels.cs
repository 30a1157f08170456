using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EquivarianceRegularizer.Tests.Regularizer;

/// <summary>Small models over torch.nn.functional used as known-(non)equivariant fixtures.</summary>
internal static class TestModels
{
    public static Tensor Param(params long[] shape)
    {
        using var g = new Generator(11);
        using var scope = NewDisposeScope();
        return (randn(shape, generator: g) * 0.5).MoveToOuterDisposeScope();
    }

    public static Tensor Scaled(Tensor t, double factor)
    {
        using (t) return t * factor;
    }
}

/// <summary>f(x) = x.</summary>
internal sealed class IdentityModel() : torch.nn.Module<Tensor, Tensor>("IdentityModel")
{
    public override Tensor forward(Tensor input) => input.alias();
}

internal static class AliasExtensions
{
    public static Tensor alias(this Tensor x) => x.view(x.shape);
}

/// <summary>
/// Pointwise (1×1) convolution C_in → C_out followed by tanh: commutes with every spatial permutation of pixels
/// (rotations, flips, rolls), also when the channel count changes.
/// </summary>
internal sealed class PointwiseConvModel : torch.nn.Module<Tensor, Tensor>
{
    public PointwiseConvModel(long inChannels, long outChannels) : base("PointwiseConvModel")
    {
        register_parameter("weight", (TestModels.Param(outChannels, inChannels, 1, 1)).AsParameter());
        register_parameter("bias", (TestModels.Param(outChannels)).AsParameter());
    }

    public override Tensor forward(Tensor input)
    {
        using var y = F.conv2d(input, get_parameter("weight")!, get_parameter("bias"));
        return y.tanh();
    }
}

/// <summary>Pointwise features then global average pooling and a linear head: invariant to every pixel permutation.</summary>
internal sealed class InvariantClassifier : torch.nn.Module<Tensor, Tensor>
{
    public InvariantClassifier(long inChannels, long hidden, long classes) : base("InvariantClassifier")
    {
        register_parameter("w1", (TestModels.Param(hidden, inChannels, 1, 1)).AsParameter());
        register_parameter("b1", (TestModels.Param(hidden)).AsParameter());
        register_parameter("w2", (TestModels.Param(classes, hidden)).AsParameter());
        register_parameter("b2", (TestModels.Param(classes)).AsParameter());
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = F.conv2d(input, get_parameter("w1")!, get_parameter("b1")).relu().mean(new long[] { 2, 3 });
        return F.linear(h, get_parameter("w2")!, get_parameter("b2")).MoveToOuterDisposeScope();
    }
}

/// <summary>A 3×3 convolution with a random (asymmetric) kernel, then a flatten and linear head: not rotation invariant.</summary>
internal sealed class PlainCnn : torch.nn.Module<Tensor, Tensor>
{
    public PlainCnn(long inChannels, long size, long classes, bool withBatchNorm = false) : base("PlainCnn")
    {
        register_parameter("w1", (TestModels.Param(4, inChannels, 3, 3)).AsParameter());
        register_parameter("b1", (TestModels.Param(4)).AsParameter());
        register_parameter("w2", (TestModels.Scaled(TestModels.Param(classes, 4 * size * size), 1.0 / size)).AsParameter());
        register_parameter("b2", (TestModels.Param(classes)).AsParameter());
        if (withBatchNorm) register_module("bn", new TestBatchNorm(4));
    }

    public int Forwards { get; private set; }
    public long RowsSeen { get; private set; }

    public override Tensor forward(Tensor input)
    {
        Forwards++;
        RowsSeen += input.size(0);
        using var scope = NewDisposeScope();
        var h = F.conv2d(input, get_parameter("w1")!, get_parameter("b1"), padding: new long[] { 1, 1 });
        foreach (var (name, m) in named_children())
            if (name == "bn") h = ((TestBatchNorm)m).call(h);
        h = h.relu().flatten(1);
        return F.linear(h, get_parameter("w2")!, get_parameter("b2")).MoveToOuterDisposeScope();
    }
}

/// <summary>BatchNorm2d over functional batch_norm (updates running statistics in training mode).</summary>
internal sealed class TestBatchNorm : torch.nn.Module<Tensor, Tensor>
{
    public TestBatchNorm(long channels) : base("BatchNorm2d")
    {
        register_parameter("weight", (ones(channels)).AsParameter());
        register_parameter("bias", (zeros(channels)).AsParameter());
        register_buffer("running_mean", zeros(channels));
        register_buffer("running_var", ones(channels));
    }

    public Tensor RunningMean => get_buffer("running_mean")!;

    public override Tensor forward(Tensor input) =>
        F.batch_norm(input, get_buffer("running_mean"), get_buffer("running_var"), get_parameter("weight"), get_parameter("bias"), training);
}

/// <summary>DeepSets layer on (batch, set, features): y_i = W x_i + U mean_j x_j + b — permutation equivariant along the set axis.</summary>
internal sealed class DeepSetsLayer : torch.nn.Module<Tensor, Tensor>
{
    public DeepSetsLayer(long features, long outFeatures) : base("DeepSetsLayer")
    {
        register_parameter("w", (TestModels.Param(outFeatures, features)).AsParameter());
        register_parameter("u", (TestModels.Scaled(TestModels.Param(outFeatures, features), 0.7)).AsParameter());
        register_parameter("b", (TestModels.Param(outFeatures)).AsParameter());
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var pooled = input.mean(new long[] { 1 }, keepdim: true);
        var y = F.linear(input, get_parameter("w")!, get_parameter("b")) + F.linear(pooled, get_parameter("u")!);
        return y.tanh().MoveToOuterDisposeScope();
    }
}

/// <summary>Wraps a model and multiplies its output by NaN (to test NaN detection).</summary>
internal sealed class NaNModel() : torch.nn.Module<Tensor, Tensor>("NaNModel")
{
    public override Tensor forward(Tensor input) => input * double.NaN;
}
