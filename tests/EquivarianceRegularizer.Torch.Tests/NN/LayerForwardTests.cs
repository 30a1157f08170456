using EquivarianceRegularizer.Torch.Modules;
using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.NN.NNFixture;

namespace EquivarianceRegularizer.Torch.Tests.NN;

/// <summary>Each layer's forward against PyTorch with identical weights (fixtures from make_nn_fixtures.py).</summary>
public class LayerForwardTests
{
    private DisposeScope? _scope;

    [SetUp]
    public void OpenScope() => _scope = NewDisposeScope();

    [TearDown]
    public void CloseScope() => _scope?.Dispose();

    [Test]
    public void Linear_WithPyTorchWeights_MatchesPyTorch()
    {
        using var f = Load("linear");
        using var m = nn.Linear(5, 3);
        f.LoadInto(m);
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [Test]
    public void Conv1d_ReflectPaddingStrided_MatchesPyTorch()
    {
        using var f = Load("conv1d_reflect");
        using var m = nn.Conv1d(3, 4, 3, stride: 2, padding: 1, padding_mode: "reflect");
        f.LoadInto(m);
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [TestCase("zeros")]
    [TestCase("reflect")]
    [TestCase("replicate")]
    [TestCase("circular")]
    public void Conv2d_GroupedWithPaddingMode_MatchesPyTorch(string mode)
    {
        using var f = Load("conv2d_" + mode);
        using var m = nn.Conv2d(4, 6, 3, stride: 1, padding: 1, padding_mode: mode, groups: 2);
        f.LoadInto(m);
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [Test]
    public void Conv2d_RectangularStridedDilatedWithoutBias_MatchesPyTorch()
    {
        using var f = Load("conv2d_strided_dilated");
        using var m = nn.Conv2d(3, 5, (3, 2), stride: (2, 1), padding: (2, 1), dilation: (2, 1), bias: false);
        Assert.That(m.bias, Is.Null);
        f.LoadInto(m);
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [TestCase("batchnorm1d")]
    [TestCase("batchnorm2d")]
    public void BatchNorm_TwoTrainingBatchesThenEval_MatchesPyTorchOutputsAndRunningStats(string name)
    {
        using var f = Load(name);
        using BatchNorm m = name == "batchnorm1d" ? nn.BatchNorm1d(3, momentum: 0.2) : nn.BatchNorm2d(3);
        f.LoadInto(m);
        m.train();
        AssertClose(m.call(f["input1"]), f["output_train1"], what: "train batch 1");
        AssertClose(m.call(f["input2"]), f["output_train2"], what: "train batch 2");
        AssertClose(m.running_mean!, f["running_mean_after"], what: "running_mean");
        AssertClose(m.running_var!, f["running_var_after"], what: "running_var");
        Assert.That(m.num_batches_tracked!.item(), Is.EqualTo(f["num_batches_after"].item()).And.EqualTo(2));
        m.eval();
        AssertClose(m.call(f["input3"]), f["output_eval"], what: "eval");
    }

    [Test]
    public void LayerNorm_OverTwoTrailingDims_MatchesPyTorch()
    {
        using var f = Load("layernorm");
        using var m = nn.LayerNorm(new long[] { 4, 5 });
        f.LoadInto(m);
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [Test]
    public void GroupNorm_TwoGroups_MatchesPyTorch()
    {
        using var f = Load("groupnorm");
        using var m = nn.GroupNorm(2, 6);
        f.LoadInto(m);
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [Test]
    public void Activations_MatchPyTorch()
    {
        using var f = Load("activations");
        var x = f["input"];
        var cases = new (string key, nn.Module<Tensor, Tensor> module)[]
        {
            ("relu", nn.ReLU()), ("gelu", nn.GELU()), ("gelu_tanh", nn.GELU("tanh")), ("tanh", nn.Tanh()),
            ("sigmoid", nn.Sigmoid()), ("silu", nn.SiLU()), ("leaky_relu", nn.LeakyReLU(0.2)),
        };
        foreach (var (key, module) in cases)
        {
            using (module) AssertClose(module.call(x), f[key], what: key);
        }
    }

    [Test]
    public void PoolingAndFlatten_MatchPyTorch()
    {
        using var f = Load("pooling");
        var x = f["input"];
        AssertClose(nn.MaxPool2d(3, stride: 2, padding: 1).call(x), f["maxpool"], what: "maxpool");
        AssertClose(nn.MaxPool2d(2, stride: 2, dilation: 2, ceil_mode: true).call(x), f["maxpool_dilated_ceil"], what: "maxpool dilated ceil");
        AssertClose(nn.AvgPool2d(3, stride: 2, padding: 1).call(x), f["avgpool"], what: "avgpool");
        AssertClose(nn.AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false).call(x), f["avgpool_exclude_pad"], what: "avgpool exclude pad");
        AssertClose(nn.AdaptiveAvgPool2d((3, 2)).call(x), f["adaptive"], what: "adaptive");
        AssertClose(nn.Flatten().call(x), f["flatten"], what: "flatten");
    }

    [Test]
    public void Embedding_WithPaddingIndex_MatchesPyTorch()
    {
        using var f = Load("embedding");
        using var m = nn.Embedding(10, 4, padding_idx: 0);
        using (var row = m.weight.select(0, 0)) Assert.That(row.abs().sum().item(), Is.EqualTo(0), "padding row starts at zero");
        f.LoadInto(m);
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [Test]
    public void MultiheadAttention_BatchFirstWithKeyPaddingMask_MatchesPyTorch()
    {
        using var f = Load("mha");
        using var m = nn.MultiheadAttention(8, 2, batch_first: true);
        f.LoadInto(m);
        m.eval();
        var (output, weights) = m.call(f["query"], f["key"], f["value"], f["key_padding_mask"]);
        AssertClose(output, f["output"], what: "output");
        AssertClose(weights, f["weights"], what: "weights");
        var (selfOut, selfWeights) = m.call(f["query"], f["query"], f["query"]);
        AssertClose(selfOut, f["self_output"], what: "self-attention output");
        AssertClose(selfWeights, f["self_weights"], what: "self-attention weights");
    }

    [Test]
    public void FunctionalMultiHeadAttention_WithPyTorchWeights_MatchesPyTorchModule()
    {
        using var f = Load("mha");
        var (output, weights) = nn.functional.multi_head_attention(f["query"], f["key"], f["value"], 2,
            f["model.in_proj_weight"], f["model.in_proj_bias"], f["model.out_proj.weight"], f["model.out_proj.bias"], f["key_padding_mask"]);
        AssertClose(output, f["output"], what: "output");
        AssertClose(weights, f["weights"], what: "weights");
    }

    [Test]
    public void MultiheadAttention_SequenceFirst_IsBatchFirstTransposed()
    {
        using var f = Load("mha");
        using var m = nn.MultiheadAttention(8, 2);
        f.LoadInto(m);
        var (output, weights) = m.call(f["query"].transpose(0, 1), f["key"].transpose(0, 1), f["value"].transpose(0, 1), f["key_padding_mask"]);
        AssertClose(output.transpose(0, 1), f["output"], what: "output");
        AssertClose(weights, f["weights"], what: "weights");
    }

    [Test]
    public void Losses_MatchPyTorch()
    {
        using var f = Load("losses");
        var logits = f["logits"];
        var target = f["target"];
        AssertClose(nn.CrossEntropyLoss().call(logits, target), f["ce_mean"], what: "ce mean");
        AssertClose(nn.CrossEntropyLoss(reduction: "sum", label_smoothing: 0.1).call(logits, target), f["ce_sum_smoothed"], what: "ce sum smoothed");
        AssertClose(nn.CrossEntropyLoss(weight: f["class_weight"]).call(logits, target), f["ce_weighted"], what: "ce weighted");
        AssertClose(nn.CrossEntropyLoss(reduction: "none").call(logits, target), f["ce_none"], what: "ce none");
        AssertClose(nn.MSELoss().call(f["pred"], f["goal"]), f["mse_mean"], what: "mse mean");
        AssertClose(nn.MSELoss(reduction: "sum").call(f["pred"], f["goal"]), f["mse_sum"], what: "mse sum");
    }

    [Test]
    public void SequentialCnn_LoadedByPyTorchNames_MatchesPyTorchInEval()
    {
        using var f = Load("sequential_cnn");
        using var m = nn.Sequential(nn.Conv2d(1, 4, 3, padding: 1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 3));
        Assert.That(m.state_dict().Keys, Is.EquivalentTo(f.WithPrefix().Keys));
        f.LoadInto(m);
        m.eval();
        AssertClose(m.call(f["input"]), f["output"]);
    }

    [Test]
    public void DefaultInit_WithSeededGenerator_EqualsPyTorchDefaultInitWithSameSeed()
    {
        using var f = Load("init");
        using var g = new Generator(7);
        using var linear = nn.Linear(5, 3, generator: g);
        AssertClose(linear.weight, f["linear.weight"], atol: 0, rtol: 0, what: "linear weight");
        AssertClose(linear.bias!, f["linear.bias"], atol: 0, rtol: 0, what: "linear bias");
        g.manual_seed(7);
        using var conv = nn.Conv2d(4, 6, 3, groups: 2, generator: g);
        AssertClose(conv.weight, f["conv.weight"], atol: 0, rtol: 0, what: "conv weight");
        AssertClose(conv.bias!, f["conv.bias"], atol: 0, rtol: 0, what: "conv bias");
    }
}
