using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

public class LieSymmetryTests
{
    [Test]
    public void ASymmetryWithoutAContinuousInputOrOutput_IsRefused_NamingTheTransform()
    {
        using var scope = NewDisposeScope();
        var x = rand(2, 1, 6, 6);
        Func<Tensor, Tensor> f = z => z * 2.0;
        var finite = Assert.Throws<ArgumentException>(() => LieDerivative.Compute(f, x, Symmetry.Invariant(new RotationByQuarterTurns())));
        Assert.That(finite!.Message, Does.Contain("continuous input transform").And.Contain("rot90"));
        using var model = nn.Sequential(new Fn("Double", z => z * 2.0));
        Assert.That(() => InfinitesimalEvaluator.LieDerivative(model, x, Symmetry.Invariant(new RotationByQuarterTurns())),
            Throws.ArgumentException.With.Message.Contains("continuous input transform"));
    }

    [Test]
    public void TheOutputActionOfASymmetry_IsTheTransformWhoseTangentIsSubtracted()
    {
        // f(x) = x along translate-x: L f = dρ(x) − dρ'(f(x)) is zero when ρ' = ρ, and 2 dρ(x) when ρ' translates the other way.
        using var scope = NewDisposeScope();
        var x = rand(new long[] { 2, 1, 12, 12 }, dtype: ScalarType.Float64);
        Func<Tensor, Tensor> f = z => z * 1.0;
        var translate = new TranslationX();
        Assert.That(LieDerivative.Compute(f, x, Symmetry.Equivariant(translate)).abs().max().ToDouble(), Is.LessThan(1e-12));
        var backwards = new AffineFlowTransform("translate-back", new double[,] { { 0, 0, -1 }, { 0, 0, 0 } }, EquivarianceRegularizer.Groups.ParameterRange.Symmetric(0.25));
        var lie = LieDerivative.Compute(f, x, Symmetry.Equivariant(translate, backwards));
        Assert.That(lie.allclose(translate.Tangent(x) * 2.0, 1e-10, 1e-12), Is.True, "dρ(x) − (−dρ(x)) = 2 dρ(x)");
    }
}
