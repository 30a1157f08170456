using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>Image CNNs from TorchSharp nn layers: equivariant by construction, or plainly not.</summary>
internal static class Cnns
{
    /// <summary>A C4/D4-invariant CNN: D4-symmetric convs, ReLU, global pooling, linear head (layers "0".."5").</summary>
    public static Sequential InvariantCnn(ulong seed = 1, bool symmetric = true)
    {
        using var g = new Generator(seed);
        return nn.Sequential(Layers.Conv(1, 8, 3, g, symmetric), Layers.Relu(), Layers.Conv(8, 8, 3, g, symmetric), Layers.Relu(), Layers.GlobalAvgPool(), Layers.Linear(8, 4, g));
    }

    /// <summary>A rot90-equivariant fully convolutional net (output is a feature map): conv, tanh, conv.</summary>
    public static Sequential EquivariantFcn(ulong seed = 2, string paddingMode = "zeros")
    {
        using var g = new Generator(seed);
        return nn.Sequential(Layers.Conv(1, 4, 3, g, true, paddingMode: paddingMode), Layers.Tanh(), Layers.Conv(4, 2, 3, g, true, paddingMode: paddingMode));
    }

    /// <summary>conv → relu → conv → global pool → linear: a plain (not rotation-invariant) classifier with named layers.</summary>
    public static Sequential NamedCnn(ulong seed, long classes = 3, ScalarType dtype = ScalarType.Float32)
    {
        using var g = new Generator(seed);
        return nn.Sequential(
            ("conv", nn.Conv2d(1, 4, 3, padding: 1, dtype: dtype).Seeded(g)),
            ("act", nn.ReLU()),
            ("conv2", nn.Conv2d(4, 4, 3, padding: 1, dtype: dtype).Seeded(g)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()),
            ("head", nn.Linear(4, classes, dtype: dtype).Seeded(g)));
    }

    /// <summary>
    /// conv-relu-maxpool, conv-batchnorm(eval, non-trivial statistics)-relu, global average pool, linear: the layer
    /// kinds the library's models use, in eval mode.
    /// </summary>
    public static nn.Module<Tensor, Tensor> EvalReluCnn(ScalarType dtype, int seed = 7)
    {
        random.manual_seed(seed);
        var batchNorm = nn.BatchNorm2d(8);
        using (no_grad())
        {
            batchNorm.running_mean!.uniform_(-0.5, 0.5);
            batchNorm.running_var!.uniform_(0.5, 2.0);
            batchNorm.weight!.uniform_(0.5, 1.5);
        }
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 4, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(4, 8, 3, padding: 1)), ("bn2", batchNorm), ("relu2", nn.ReLU()),
            ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(8, 3)));
        model.to(dtype);
        model.eval();
        return model;
    }

    /// <summary>conv → BatchNorm2d → relu → maxpool(2) → flatten → linear, for 1×12×12 images (global seed 3).</summary>
    public static Sequential BatchNormMaxPoolCnn()
    {
        manual_seed(3);
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding: 1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(4 * 6 * 6, 5));
    }

    /// <summary>
    /// conv → BatchNorm2d → relu → dropout → conv → relu → global pool → flatten → linear (layers "0".."8"); with
    /// <paramref name="symmetric"/> the kernels are D4-averaged, so in eval mode the model is D4 invariant.
    /// </summary>
    public static Sequential BatchNormDropoutCnn(bool symmetric, string padding = "zeros")
    {
        using var g = new Generator(21);
        var c1 = nn.Conv2d(1, 6, 3, padding: 1, padding_mode: padding == "circular" ? PaddingModes.Circular : PaddingModes.Zeros).Seeded(g);
        var c2 = nn.Conv2d(6, 6, 3, padding: 1, padding_mode: padding == "circular" ? PaddingModes.Circular : PaddingModes.Zeros).Seeded(g);
        if (symmetric)
        {
            Weights.Set(c1.weight!, Weights.D4Average(c1.weight!));
            Weights.Set(c2.weight!, Weights.D4Average(c2.weight!));
        }
        return nn.Sequential(c1, nn.BatchNorm2d(6), nn.ReLU(), nn.Dropout(0.3), c2, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3).Seeded(g));
    }

    /// <summary>
    /// Three conv-relu-maxpool stages, global pool, linear (10 classes, 1×28×28 images); with
    /// <paramref name="blurPool"/> each max-pool(2) is split into max(2, stride 1) + blur(stride 2).
    /// </summary>
    public static Sequential FashionMnistCnn(bool blurPool, ulong seed)
    {
        using var g = new Generator(seed);
        // Named stages so per-layer rows read well.
        var stages = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv1", nn.Conv2d(1, 16, 3, padding: 1).Seeded(g)),
            ("relu1", nn.ReLU()),
        };
        if (blurPool) { stages.Add(("maxpool1_s1", nn.MaxPool2d(2, 1))); stages.Add(("blurpool1", new BlurPool2d(16))); }
        else stages.Add(("maxpool1", nn.MaxPool2d(2)));
        stages.Add(("conv2", nn.Conv2d(16, 32, 3, padding: 1).Seeded(g)));
        stages.Add(("relu2", nn.ReLU()));
        if (blurPool) { stages.Add(("maxpool2_s1", nn.MaxPool2d(2, 1))); stages.Add(("blurpool2", new BlurPool2d(32))); }
        else stages.Add(("maxpool2", nn.MaxPool2d(2)));
        stages.Add(("conv3", nn.Conv2d(32, 32, 3, padding: 1).Seeded(g)));
        stages.Add(("relu3", nn.ReLU()));
        stages.Add(("gap", nn.AdaptiveAvgPool2d(1)));
        stages.Add(("flatten", nn.Flatten()));
        stages.Add(("fc", nn.Linear(32, 10).Seeded(g)));
        return nn.Sequential(stages.ToArray());
    }
}

/// <summary>
/// A 3×3 convolution with a random (asymmetric) kernel, an optional BatchNorm, relu, then a flatten and linear head:
/// not rotation invariant. Counts its forwards and the rows they saw.
/// </summary>
internal sealed class PlainCnn : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;
    private readonly FunctionalBatchNorm? _bn;
    private readonly TorchSharp.Modules.Linear _head;

    public PlainCnn(long inChannels, long size, long classes, bool withBatchNorm = false) : base("PlainCnn")
    {
        _conv = nn.Conv2d(inChannels, 4, 3, padding: 1);
        Weights.Set(_conv.weight!, Weights.Param(4, inChannels, 3, 3));
        Weights.Set(_conv.bias!, Weights.Param(4));
        register_module("conv", _conv);
        if (withBatchNorm) register_module("bn", _bn = new FunctionalBatchNorm(4));
        _head = nn.Linear(4 * size * size, classes);
        Weights.Set(_head.weight!, Weights.Scaled(Weights.Param(classes, 4 * size * size), 1.0 / size));
        Weights.Set(_head.bias!, Weights.Param(classes));
        register_module("head", _head);
    }

    /// <summary>The BatchNorm (with <c>withBatchNorm</c>).</summary>
    public FunctionalBatchNorm BatchNorm => _bn ?? throw new InvalidOperationException("built without BatchNorm");

    public int Forwards { get; private set; }
    public long RowsSeen { get; private set; }

    public override Tensor forward(Tensor input)
    {
        Forwards++;
        RowsSeen += input.size(0);
        using var scope = NewDisposeScope();
        var h = _conv.call(input);
        if (_bn is not null) h = _bn.call(h);
        h = h.relu().flatten(1);
        return _head.call(h).MoveToOuterDisposeScope();
    }
}
