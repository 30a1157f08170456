using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.NN.NNFixture;

namespace EquivarianceRegularizer.Torch.Tests.NN;

/// <summary>Layer behaviour beyond the PyTorch fixtures: unbatched inputs, dropout inside attention, padding rows.</summary>
public class LayerBehaviourTests
{
    private DisposeScope? _scope;

    [SetUp]
    public void OpenScope() => _scope = NewDisposeScope();

    [TearDown]
    public void CloseScope() => _scope?.Dispose();

    [TestCase("zeros")]
    [TestCase("reflect")]
    [TestCase("circular")]
    public void Conv2d_OnUnbatchedInput_EqualsBatchOfOne(string mode)
    {
        using var m = nn.Conv2d(2, 3, 3, padding: 1, padding_mode: mode);
        var x = randn(2, 6, 6);
        AssertClose(m.call(x), m.call(x.unsqueeze(0)).squeeze(0), atol: 1e-6);
    }

    [Test]
    public void MultiheadAttention_WithDropoutInTraining_IsRandom_InEvalMatchesFunctional()
    {
        using var g = new Generator(5);
        using var m = nn.MultiheadAttention(8, 2, dropout: 0.5, batch_first: true, generator: g);
        var x = randn(2, 4, 8);
        var (a, wa) = m.call(x, x, x);
        var (b, _) = m.call(x, x, x);
        Assert.That(a.allclose(b), Is.False, "dropout makes two training passes differ");
        Assert.That(wa.shape, Is.EqualTo(new long[] { 2, 4, 4 }));
        m.eval();
        var (e, we) = m.call(x, x, x);
        var (fo, fw) = nn.functional.multi_head_attention(x, x, x, 2, m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias);
        AssertClose(e, fo, atol: 0, rtol: 0, what: "eval output");
        AssertClose(we, fw, atol: 0, rtol: 0, what: "eval weights");
        AssertClose(we.sum(-1), ones(2, 4), atol: 1e-6, what: "attention rows sum to one");
    }

    [Test]
    public void MultiheadAttention_WithDropoutInTraining_MatchesEvalInExpectation()
    {
        using var m = nn.MultiheadAttention(4, 1, dropout: 0.25, batch_first: true);
        var x = randn(1, 3, 4);
        m.eval();
        var (_, evalWeights) = m.call(x, x, x);
        m.train();
        var sum = zeros(1, 3, 3);
        const int draws = 4000;
        for (int i = 0; i < draws; i++)
        {
            using var s = NewDisposeScope();
            var (_, w) = m.call(x, x, x);
            sum.add_(w);
        }
        AssertClose(sum / draws, evalWeights, atol: 0.03, rtol: 0, what: "mean of dropped-out weights");
    }

    [Test]
    public void Embedding_PaddingRow_GetsNoGradient()
    {
        using var m = nn.Embedding(5, 3, padding_idx: 2);
        m.call(tensor(new long[] { 0, 2, 2, 4 })).sum().backward();
        var grad = m.weight.grad!;
        Assert.That(grad.select(0, 2).abs().sum().item(), Is.EqualTo(0));
        Assert.That(grad.select(0, 0).data<float>(), Is.EqualTo(new float[] { 1, 1, 1 }));
    }

    [Test]
    public void Identity_ReturnsSameValues_AsNewHandle()
    {
        using var m = nn.Identity();
        var x = randn(3, 2);
        var y = m.call(x);
        Assert.That(y, Is.Not.SameAs(x));
        Assert.That(y.data<float>(), Is.EqualTo(x.data<float>()));
    }

    [Test]
    public void Softmax_RowsSumToOne()
    {
        using var m = nn.Softmax(1);
        AssertClose(m.call(randn(4, 5) * 3).sum(1), ones(4), atol: 1e-6);
    }

    [Test]
    public void CrossEntropyLoss_IgnoreIndex_LeavesOutThoseTargets()
    {
        var logits = randn(4, 3);
        var target = tensor(new long[] { 0, -100, 2, 1 });
        using var loss = nn.CrossEntropyLoss();
        var kept = tensor(new long[] { 0, 2, 3 });
        var expected = nn.functional.cross_entropy(logits.index_select(0, kept), target.index_select(0, kept));
        AssertClose(loss.call(logits, target), expected, atol: 1e-6);
    }

    [Test]
    public void Linear_OnHigherRankInput_AppliesToLastDimension()
    {
        using var m = nn.Linear(4, 2);
        var x = randn(3, 5, 4);
        AssertClose(m.call(x), m.call(x.reshape(15, 4)).reshape(3, 5, 2), atol: 1e-6);
    }
}
