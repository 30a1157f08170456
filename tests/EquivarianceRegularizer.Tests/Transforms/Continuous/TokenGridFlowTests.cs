using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Transforms.Continuous;

/// <summary>An image flow carried to a ViT's tokens acts on the patch grid as on the feature map it was flattened from.</summary>
public class TokenGridFlowTests
{
    // A [2, 5, 3, 4] map and its tokens the way a ViT makes them: flatten(2).transpose(1, 2), a class token in front.
    private static (Tensor Map, Tensor Tokens) MapAndTokens(Generator gen)
    {
        var map = randn(new long[] { 2, 5, 3, 4 }, dtype: ScalarType.Float64, generator: gen);
        var classToken = randn(new long[] { 2, 1, 5 }, dtype: ScalarType.Float64, generator: gen);
        return (map, cat(new[] { classToken, map.flatten(2).transpose(1, 2) }, 1));
    }

    private static Tensor GridTokens(Tensor tokens) => tokens.narrow(1, 1, tokens.size(1) - 1);

    [TestCase("translate-x")]
    [TestCase("rotate")]
    public void TangentAndApplyAt_OnTheGridTokens_AreTheFlowsOnTheMap_ClassTokenFixed(string name)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(3);
        IContinuousTransform flow = name == "rotate" ? new Rotation() : new TranslationX();
        var (map, tokens) = MapAndTokens(gen);
        var carried = new TokenGridFlow(flow, 3, 4, 1);

        var tangent = carried.Tangent(tokens);
        Assert.That(GridTokens(tangent).allclose(flow.Tangent(map).flatten(2).transpose(1, 2), rtol: 0, atol: 1e-12), "grid tokens move as the map");
        Assert.That(tangent.narrow(1, 0, 1).abs().max().ToDouble(), Is.EqualTo(0), "the class token does not move");
        Assert.That(flow.Tangent(map).abs().max().ToDouble(), Is.GreaterThan(0.1), "the flow moves the map");

        var moved = carried.ApplyAt(tokens, 0.1);
        Assert.That(GridTokens(moved).allclose(flow.ApplyAt(map, 0.1).flatten(2).transpose(1, 2), rtol: 0, atol: 1e-12));
        Assert.That(moved.narrow(1, 0, 1).allclose(tokens.narrow(1, 0, 1), rtol: 0, atol: 0), Is.True, "the class token stays");
        Assert.That(carried.Name, Is.EqualTo($"{flow.Name} on the 3×4 token grid (1 token fixed)"));
    }

    [Test]
    public void CarryFlow_FindsTheGridOfTheTokens_AndNothingForOtherTensors()
    {
        var grids = new[] { new TokenGrid("conv_proj", 8, 8, null) };
        var flow = new TranslationX();
        Assert.That(TokenGrid.CarryFlow(grids, flow, new long[] { 2, 65, 16 })?.PrefixTokens, Is.EqualTo(1));
        Assert.That(TokenGrid.CarryFlow(grids, flow, new long[] { 2, 64, 16 })?.PrefixTokens, Is.EqualTo(0));
        Assert.That(TokenGrid.CarryFlow(grids, flow, new long[] { 2, 80, 16 }), Is.Null, "16 tokens too many for any prefix");
        Assert.That(TokenGrid.CarryFlow(grids, flow, new long[] { 2, 16 }), Is.Null, "not a token tensor");
        Assert.That(TokenGrid.CarryFlow(Array.Empty<TokenGrid>(), flow, new long[] { 2, 65, 16 }), Is.Null, "no grid");
    }
}
