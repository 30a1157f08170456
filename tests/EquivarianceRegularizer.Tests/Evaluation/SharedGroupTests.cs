using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Evaluation;

public class SharedGroupTests
{
    // Gaussian blobs at random offsets (radius ≤ 4 px) in 24×24 images: content stays inside under any rotation.
    private static Tensor Blobs(long n, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        var centre = (rand(new[] { n, 2L }, dtype: ScalarType.Float64, generator: g) * 8.0 - 4.0);
        var grid = arange(0, 24, dtype: ScalarType.Float64) - 11.5;
        var dx = grid.view(1, 1, 24) - centre.select(1, 0).view(n, 1, 1);
        var dy = grid.view(1, 24, 1) + centre.select(1, 1).view(n, 1, 1);
        return (-(dx.square() + dy.square()) / 4.0).exp().unsqueeze(1).MoveToOuterDisposeScope();
    }

    [Test]
    public void ImageRotationOnInputs_SharesItsAngleWithAVectorRotationOfOutputs()
    {
        using var model = new CentroidModel();
        model.to(ScalarType.Float64);
        var image = new Rotation(ParameterRange.Symmetric(Math.PI));
        var vector = new VectorRotation2D();
        Assert.That(vector.Group, Is.EqualTo(image.Group), "both act by SO(2), whatever range each samples");
        using var scope = NewDisposeScope();
        using var g = new Generator(12);
        var x = Blobs(32, 4);
        using var shared = EquivarianceEvaluator.Evaluate(model, x, new[] { new Symmetry(image, vector) }, Distance.L2, g);
        using var invariance = EquivarianceEvaluator.Evaluate(model, x, new[] { Symmetry.Invariant(image) }, Distance.L2, g);
        double sharedError = shared.Distances[0].mean().ToDouble(), invariantError = invariance.Distances[0].mean().ToDouble();
        TestContext.Out.WriteLine($"centroid error: shared rotation {sharedError:E2} px, output left unrotated {invariantError:E2} px");
        Assert.That(new Symmetry(image, vector).Group, Is.EqualTo(vector.Group), "one group: one draw per sample acts on both");
        Assert.That(sharedError, Is.LessThan(0.05), "only interpolation error remains");
        Assert.That(invariantError, Is.GreaterThan(1.0));
    }

    [Test]
    public void GivenModelOutput_IsReused_AndStaysTheCallers()
    {
        using var model = new PlainCnn(1, 6, 3);
        using var scope = NewDisposeScope();
        var x = rand(8, 1, 6, 6);
        var rot = new RotationByQuarterTurns();
        using var e = rot.Group.Element(2, 8);
        var pairs = new[] { Symmetry.Invariant(rot) };
        Tensor y;
        using (new NormStatisticsGuard(model)) y = model.call(x);
        int before = model.Forwards;
        using (var reused = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: new[] { e }, modelOutput: y))
        {
            Assert.That(model.Forwards - before, Is.EqualTo(1), "only model(f_in(v)) is computed");
            using var computed = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: new[] { e });
            Assert.That(reused.Distances[0].allclose(computed.Distances[0], 1e-5, 1e-6), Is.True);
            Assert.That(computed.TransformedOutputs[0].allclose(model.call(rot.Apply(x, e)), 1e-5, 1e-6), Is.True);
        }
        Assert.That(y.IsInvalid, Is.False, "disposing the result leaves the caller's tensor alone");
        Assert.That(y.sum().ToDouble(), Is.Not.NaN);
    }
}
