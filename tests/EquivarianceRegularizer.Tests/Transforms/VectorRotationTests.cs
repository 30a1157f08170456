using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Evaluation;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using MathNet.Numerics.LinearAlgebra;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Transforms;

public class VectorRotationTests
{
    [Test]
    public void SO2_RotatesCounterclockwiseByTheDrawnAngle()
    {
        using var scope = NewDisposeScope();
        var t = new VectorRotation2D();
        using var e = t.Elements(Math.PI / 2, Math.PI);
        var x = tensor(new double[] { 1, 0, 1, 2 }, new long[] { 2, 2 });
        var y = t.Apply(x, e).ToArrayDouble();
        Assert.That(y, Is.EqualTo(new[] { 0.0, 1.0, -1.0, -2.0 }).Within(1e-12));
    }

    [Test]
    public void SO3_HaarSamples_AreRotations_WithZeroMeanAndUniformSecondMoments()
    {
        using var scope = NewDisposeScope();
        var t = new VectorRotation3D();
        using var g = new Generator(21);
        using var e = t.Group.Sample(4000, g);
        var r = t.Matrices(e);
        var rtr = r.transpose(1, 2).matmul(r);
        var eye3 = eye(3, dtype: ScalarType.Float64).unsqueeze(0).expand(4000, 3, 3);
        Assert.That(rtr.allclose(eye3, 0, 1e-10), Is.True, "orthogonal");
        var m = r.ToArrayDouble();
        for (int b = 0; b < 4000; b++)
        {
            var mat = Matrix<double>.Build.Dense(3, 3, (i, j) => m[b * 9 + i * 3 + j]);
            Assert.That(mat.Determinant(), Is.EqualTo(1).Within(1e-10));
        }
        // Haar: E[R] = 0 and E[R_ij²] = 1/3 (σ of a mean of 4000 is ≈ 0.009).
        Assert.That(r.mean(new long[] { 0 }).abs().max().ToDouble(), Is.LessThan(0.04));
        Assert.That((r.square().mean(new long[] { 0 }) - 1.0 / 3).abs().max().ToDouble(), Is.LessThan(0.03));
    }

    [Test]
    public void SO3_ApplyAt_TurnsAboutTheGeneratorAxis()
    {
        using var scope = NewDisposeScope();
        var about = new VectorRotation3D(generatorAxis: 2);
        var x = tensor(new double[] { 1, 0, 0, 0, 0, 1 }, new long[] { 2, 3 });
        var y = about.ApplyAt(x, Math.PI / 2).ToArrayDouble();
        Assert.That(y, Is.EqualTo(new[] { 0.0, 1.0, 0.0, 0.0, 0.0, 1.0 }).Within(1e-12));
    }

    [TestCase(2, 0)]
    [TestCase(3, 0)]
    [TestCase(3, 1)]
    public void Tangent_IsTheDerivativeOfApplyAt(int d, int generatorAxis)
    {
        using var scope = NewDisposeScope();
        VectorRotation t = d == 2 ? new VectorRotation2D(axis: 0) : new VectorRotation3D(axis: 0, generatorAxis: generatorAxis);
        var x = randn(new long[] { 4, d, 5 }, dtype: ScalarType.Float64);
        const double h = 1e-5;
        var fd = (t.ApplyAt(x, h) - t.ApplyAt(x, -h)) / (2 * h);
        Assert.That(t.Tangent(x).allclose(fd, 1e-6, 1e-8), Is.True);
    }

    [Test]
    public void Exp_OfAGenerator_IsARotation()
    {
        var r = VectorRotation.Exp(VectorRotation3D.Generators[0] * 0.4 + VectorRotation3D.Generators[2] * 1.3);
        Assert.That((r.TransposeThisAndMultiply(r) - Matrix<double>.Build.DenseIdentity(3)).FrobeniusNorm(), Is.LessThan(1e-12));
        Assert.That(r.Determinant(), Is.EqualTo(1).Within(1e-12));
        Assert.That(() => VectorRotation.Exp(Matrix<double>.Build.DenseIdentity(3)), Throws.ArgumentException.With.Message.Contains("antisymmetric"));
    }

    [Test]
    public void Exp_EqualsRodriguesClosedForm()
    {
        // exp(Ω) = I + sin θ/θ Ω + (1 − cos θ)/θ² Ω² for Ω in so(3) with rotation angle θ.
        var omega = VectorRotation3D.Generators[0] * 0.4 + VectorRotation3D.Generators[1] * -0.7 + VectorRotation3D.Generators[2] * 1.3;
        double theta = Math.Sqrt(0.4 * 0.4 + 0.7 * 0.7 + 1.3 * 1.3);
        var rodrigues = Matrix<double>.Build.DenseIdentity(3) + omega * (Math.Sin(theta) / theta) + omega * omega * ((1 - Math.Cos(theta)) / (theta * theta));
        Assert.That((VectorRotation.Exp(omega) - rodrigues).FrobeniusNorm(), Is.LessThan(1e-14));
        var plane = VectorRotation.Exp(Matrix<double>.Build.DenseOfArray(new double[,] { { 0, -2.5 }, { 2.5, 0 } }));
        Assert.That(plane[0, 0], Is.EqualTo(Math.Cos(2.5)).Within(1e-15));
        Assert.That(plane[1, 0], Is.EqualTo(Math.Sin(2.5)).Within(1e-15));
    }

    [TestCase(2)]
    [TestCase(3)]
    public void EquivariantPointCloudModel_SharesTheRotationBetweenCloudAndOutputVector(int d)
    {
        // Input (points, d), output (d): two transform objects of different shapes, one group, one draw per sample.
        using var model = new VectorNeuron(d);
        IGroupTransform onPoints = d == 2 ? new VectorRotation2D() : new VectorRotation3D();
        IGroupTransform onVector = d == 2 ? new VectorRotation2D() : new VectorRotation3D();
        using var reg = new EquivarianceError(model, new long[] { 7, d }, new EquivarianceTerm[] { (onVector, onPoints, 0.0, 1.0) },
            n: 64, bounds: (-1.0, 1.0), options: new EquivarianceErrorOptions { Seed = 8 });
        using var linear = new VectorNeuron(d, linear: true);
        using var mismatched = new EquivarianceError(linear, new long[] { 7, d }, new EquivarianceTerm[] { (onVector, onPoints, 0.0, 1.0) },
            n: 64, bounds: (-1.0, 1.0), options: new EquivarianceErrorOptions { Seed = 8 });
        using var scope = NewDisposeScope();
        Assert.That(reg.call().ToDouble(), Is.LessThanOrEqualTo(1e-6));
        Assert.That(mismatched.call().ToDouble(), Is.GreaterThan(0.05));
    }

    [Test]
    public void ActionsOfDifferentGroups_AreRefusedAsOneSymmetry_ButActIndependentlyInTheSpecsTuple()
    {
        var term = (EquivarianceTerm)(new VectorRotation2D(), new RotationByQuarterTurns(), 0.0, 1.0);
        Assert.That(term.Symmetry.IsIndependent, Is.True);
        var ex = Assert.Throws<ArgumentException>(() => _ = new Symmetry(new RotationByQuarterTurns(), new VectorRotation2D()));
        Assert.That(ex!.Message, Does.Contain("SO(2)").And.Contain("C4").And.Contain("so2-vector").And.Contain("rot90"));
        Assert.That(ex.ParamName, Is.EqualTo("output"));
    }

    [Test]
    public void ActionsOfOneGroup_WithDifferentSamplers_ShareTheInputsDraw()
    {
        // The output's group samples the whole circle, the input's only ±0.1 rad: the input's group draws for both.
        var narrow = new VectorRotation2D(group: new PlaneRotationGroup(ParameterRange.Symmetric(0.1)));
        var symmetry = Symmetry.Equivariant(narrow, new VectorRotation2D());
        Assert.That(symmetry.Group, Is.SameAs(narrow.Group));
        using var model = new VectorNeuron(2);
        using var reg = new EquivarianceError(model, new long[] { 7, 2 }, new[] { new EquivarianceTerm(symmetry) },
            n: 64, bounds: (-1.0, 1.0), options: new EquivarianceErrorOptions { Seed = 8 });
        using var scope = NewDisposeScope();
        Assert.That(reg.call().ToDouble(), Is.LessThan(1e-6), "one drawn angle rotates input and output: the equivariant neuron has no error");
    }

    [Test]
    public void InfinitesimalPenalty_IsZeroForAnEquivariantModel_AndMatchesFiniteDifferencesOtherwise()
    {
        using var scope = NewDisposeScope();
        var rot = new VectorRotation2D();
        using var equivariant = new VectorNeuron(2);
        using var linear = new VectorNeuron(2, linear: true);
        var x = rand(16, 7, 2) * 2.0 - 1.0;
        var zero = InfinitesimalEvaluator.LieDerivative(equivariant, x, Symmetry.Equivariant(rot));
        Assert.That(zero.abs().max().ToDouble(), Is.LessThan(1e-5));

        // L f(x) = d/dt R(−t) f(R(t)x) at 0, by a symmetric difference.
        var lie = InfinitesimalEvaluator.LieDerivative(linear, x, Symmetry.Equivariant(rot));
        const double h = 1e-3;
        Tensor At(double t) => rot.ApplyAt(linear.call(rot.ApplyAt(x, t)), -t);
        var fd = (At(h) - At(-h)) / (2 * h);
        Assert.That(lie.allclose(fd, 1e-3, 1e-4), Is.True);
    }

    [Test]
    public void InfinitesimalTerm_PenalisesTheSquaredLieDerivative_AndItsGradientReachesTheParameters()
    {
        using var model = new VectorNeuron(2, linear: true);
        var rot = new VectorRotation2D();
        using var reg = new EquivarianceError(model, new long[] { 7, 2 }, new[] { EquivarianceTerm.Lie(rot, rot, lambda: 2.0) },
            n: 32, bounds: (-1.0, 1.0), options: new EquivarianceErrorOptions { Seed = 4 });
        using var scope = NewDisposeScope();
        var x = reg.SamplePoints();
        var expected = InfinitesimalEvaluator.SquaredNormPerSample(InfinitesimalEvaluator.LieDerivative(model, x, Symmetry.Equivariant(rot))).mean().ToDouble() * 2.0;
        var penalty = reg.call(x);
        Assert.That(penalty.ToDouble(), Is.EqualTo(expected).Within(1e-5 * Math.Max(1, expected)));
        Assert.That(reg.LastTerms![0].Name, Does.StartWith("d/dt"));
        penalty.backward();
        var w = model.named_parameters().Single(p => p.name == "w").parameter;
        Assert.That(w.grad, Is.Not.Null);
        Assert.That(w.grad!.abs().sum().ToDouble(), Is.GreaterThan(0));
    }

    [Test]
    public void InfinitesimalTerm_NeedsAContinuousInput() =>
        Assert.That(() => new EquivarianceTerm(Symmetry.Invariant(new RotationByQuarterTurns())) { Infinitesimal = true },
            Throws.ArgumentException.With.Message.Contains("continuous"));

    [Test]
    public void WrongVectorLength_Throws()
    {
        using var scope = NewDisposeScope();
        var t = new VectorRotation3D();
        using var g = new Generator(1);
        using var e = t.Group.Sample(2, g);
        Assert.That(() => t.Apply(zeros(2, 5, 2), e), Throws.ArgumentException.With.Message.Contains("expected 3 vector components"));
    }
}
