using System.Text.Json;
using EquivarianceRegularizer.Distances;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Distances;

/// <summary>
/// The distances against PyTorch's own values (tests/fixtures/distances/make_distance_references.py, float64):
/// classification logits (batch × classes) and dense logits N×C×H×W with the class axis at 1.
/// </summary>
public class DistanceReferenceTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "distances", "distance_references.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            foreach (var e in c.GetProperty("expected").EnumerateObject())
                yield return new TestCaseData(e.Name, c.GetProperty("class_dim").GetInt64(), Read(c.GetProperty("a")), Read(c.GetProperty("b")), Read(e.Value))
                    .SetName($"{e.Name}_On{string.Join("x", c.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()))}_MatchesPyTorch");
    }

    private static (long[] shape, double[] data) Read(JsonElement t) =>
        (t.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()).ToArray(), t.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray());

    private static Distance Named(string name, long classDim) => name switch
    {
        "l2" => Distance.L2,
        "l1" => Distance.Lp(1),
        "linf" => Distance.Inf,
        "l2_mean" => Distance.Lp(2, perElementMean: true),
        "l3_mean" => Distance.Lp(3, perElementMean: true),
        "cross_entropy_logits" => Distance.CrossEntropyLogits.WithClassDim(classDim),
        "kl" => Distance.KLDivergence(classDim),
        "js" => Distance.JensenShannon(classDim),
        _ => throw new ArgumentException(name),
    };

    [TestCaseSource(nameof(Cases))]
    public void Distance_MatchesPyTorch(string name, long classDim, (long[] shape, double[] data) a, (long[] shape, double[] data) b, (long[] shape, double[] data) expected)
    {
        using var scope = NewDisposeScope();
        var d = Named(name, classDim).PerSample(tensor(a.data, a.shape), tensor(b.data, b.shape)).ToArrayDouble();
        Assert.That(d, Is.EqualTo(expected.data).Within(1e-12), "float64, absolute");
    }

    [Test]
    public void CrossEntropyLogits_OnDenseLogits_WithoutAClassAxis_IsAnError_NotAGuess()
    {
        using var scope = NewDisposeScope();
        var a = randn(2, 3, 4, 5);
        var ex = Assert.Throws<ArgumentException>(() => Distance.CrossEntropyLogits.PerSample(a, a + 1));
        Assert.That(ex!.Message, Does.Contain("ambiguous").And.Contain("WithClassDim(1)"));
        Assert.That(() => Distance.KLDivergence().PerSample(a, a), Throws.ArgumentException.With.Message.Contains("KLDivergence()"));
    }

    [Test]
    public void ClassAxis_OutsideTheSample_IsRefused_AndLpHasNone()
    {
        using var scope = NewDisposeScope();
        var a = randn(2, 3);
        Assert.That(() => Distance.JensenShannon(classDim: 2).PerSample(a, a), Throws.ArgumentException.With.Message.Contains("class axis 2"));
        Assert.That(() => Distance.KLDivergence(classDim: 0).PerSample(a, a), Throws.ArgumentException);
        Assert.That(() => Distance.L2.WithClassDim(1), Throws.InvalidOperationException.With.Message.Contains("no class axis"));
    }

    [Test]
    public void ClassAxisAtOne_EqualsTheLastAxisOfTheMovedLogits()
    {
        using var scope = NewDisposeScope();
        var a = randn(new long[] { 2, 3, 4, 5 }, dtype: float64);
        var b = randn(new long[] { 2, 3, 4, 5 }, dtype: float64);
        var atOne = Distance.KLDivergence(classDim: 1).PerSample(a, b);
        var atLast = Distance.KLDivergence(classDim: -1).PerSample(a.movedim(new[] { 1L }, new[] { -1L }), b.movedim(new[] { 1L }, new[] { -1L }));
        Assert.That(atOne.allclose(atLast, rtol: 1e-12, atol: 1e-15), Is.True);
    }

    [Test]
    public void FixedTarget_StopsTheGradientThroughTheUntransformedBranch()
    {
        using var scope = NewDisposeScope();
        var a = randn(new long[] { 4, 5 }, dtype: float64).requires_grad_();
        var b = randn(new long[] { 4, 5 }, dtype: float64).requires_grad_();
        Distance.KLDivergence(fixedTarget: true).PerSample(a, b).sum().backward();
        Assert.That(a.grad is null || a.grad.abs().max().item<double>() == 0, Is.True, "no gradient reaches the fixed target");
        Assert.That(b.grad!.abs().max().item<double>(), Is.GreaterThan(0));
        var a2 = a.detach().clone().requires_grad_();
        Distance.JensenShannon(fixedTarget: false).PerSample(a2, b.detach()).sum().backward();
        Assert.That(a2.grad!.abs().max().item<double>(), Is.GreaterThan(0));
    }

    [Test]
    public void JensenShannon_IsSymmetric_AndBoundedByLn2()
    {
        using var scope = NewDisposeScope();
        var a = randn(new long[] { 6, 4 }, dtype: float64) * 20;
        var b = randn(new long[] { 6, 4 }, dtype: float64) * 20;
        var js = Distance.JensenShannon();
        var ab = js.PerSample(a, b);
        Assert.That(ab.allclose(js.PerSample(b, a), rtol: 1e-12, atol: 1e-15), Is.True);
        Assert.That(ab.max().item<double>(), Is.LessThanOrEqualTo(Math.Log(2) + 1e-12));
        Assert.That(js.PerSample(a, a).abs().max().item<double>(), Is.LessThan(1e-15));
    }

    [Test]
    public void TheReferencePackagesSpellings_Convert()
    {
        Distance two = 2, three = 3.0, inf = "inf", ce = "cross_entropy", logits = "cross_entropy_logits";
        Assert.That(new[] { two.Name, three.Name, inf.Name, ce.Name, logits.Name }, Is.EqualTo(new[] { "l2", "l3", "linf", "cross_entropy", "cross_entropy_logits" }));
        Assert.That(() => { Distance bad = "hellinger"; }, Throws.ArgumentException.With.Message.Contains("hellinger"));
        Distance custom = (Func<Tensor, Tensor, Tensor>)((x, y) => (x - y).abs().sum(1));
        Assert.That(custom.Name, Is.EqualTo("custom"));
    }
}
