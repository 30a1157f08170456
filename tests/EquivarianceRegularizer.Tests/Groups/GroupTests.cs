using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Groups;

public class GroupTests
{
    [Test]
    public void Groups_AreEqual_WhenTheyAreTheSameAbstractGroup_WhateverTheirSamplerOrNames()
    {
        Assert.That(new RotationByQuarterTurns().Group, Is.EqualTo(new CyclicShift(4).Group), "rot90 and a 4-cycle roll both act by C4");
        Assert.That(Flip.Horizontal().Group, Is.EqualTo(Flip.Vertical().Group), "both flips act by C2");
        Assert.That(new Rotation(ParameterRange.Symmetric(0.1)).Group, Is.EqualTo(new VectorRotation2D().Group), "SO(2) whatever range it samples");
        Assert.That(new TranslationX().Group, Is.EqualTo(new Scaling().Group), "one-parameter flows act by R");
        Assert.That(new RotationByQuarterTurns().Group, Is.Not.EqualTo(new DihedralTransform().Group));
        Assert.That(new RotationByQuarterTurns().Group, Is.Not.EqualTo(new CyclicShift(8).Group));
        Assert.That(new Rotation().Group, Is.Not.EqualTo(new TranslationX().Group), "SO(2) is not R");
        Assert.That(new Translation2D().Group, Is.Not.EqualTo(new TranslationX().Group), "R² is not R");
        Assert.That(new RotationByQuarterTurns().Group == new CyclicShift(4).Group, Is.True);
        Assert.That(new RotationByQuarterTurns().Group.GetHashCode(), Is.EqualTo(new CyclicShift(4).Group.GetHashCode()));
    }

    [Test]
    public void CustomGroups_AreEqualOnlyToThemselves()
    {
        Tensor Draw(long n, Generator g) => rand(new[] { n, 1L }, dtype: ScalarType.Float64, generator: g);
        var a = new CustomGroup("shift", Draw);
        var b = new CustomGroup("shift", Draw);
        Assert.That(a, Is.EqualTo(a));
        Assert.That(a, Is.Not.EqualTo(b), "same name, different object: not known to be the same group");
        Assert.That(new RandomLambdaTransform("s", a, (x, p) => x).Group, Is.SameAs(a));
    }

    [Test]
    public void ProductGroups_AreEqual_FactorByFactor()
    {
        var flipRot = new ComposedTransform(Flip.Horizontal(), new RotationByQuarterTurns()).Group;
        Assert.That(flipRot, Is.EqualTo(new ComposedTransform(Flip.Vertical(), new CyclicShift(4)).Group));
        Assert.That(flipRot, Is.Not.EqualTo(new ComposedTransform(new RotationByQuarterTurns(), Flip.Horizontal()).Group), "C4×C2 is written in another order");
        Assert.That(flipRot.Name, Is.EqualTo("C2×C4"));
    }

    [Test]
    public void FiniteGroups_NameTheirElements_AndSampleEveryElement()
    {
        Assert.That(TrivialGroup.Instance.IsTrivial, Is.True);
        var c4 = new RotationByQuarterTurns().Group;
        using var e = c4.Element(3, 2);
        Assert.That(FiniteGroup.Indices(e), Is.EqualTo(new long[] { 3, 3 }));
        Assert.That(e.Describe(0), Is.EqualTo("rotation by 270°"), "the transform names the elements of its group");
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => c4.Element(4, 1));
        Assert.That(ex!.Message, Does.Contain("0..3"));
        using var g = new Generator(3);
        using var all = c4.Sample(200, g);
        Assert.That(FiniteGroup.Indices(all).Distinct().Order(), Is.EqualTo(new long[] { 0, 1, 2, 3 }));
    }

    [Test]
    public void SpaceRotations_AreHaar_FromOneBatchedQr()
    {
        var so3 = new SpaceRotationGroup();
        using var scope = NewDisposeScope();
        using var g = new Generator(21);
        using var drawn = so3.Sample(20_000, g);
        var r = drawn.Values.view(-1, 3, 3);
        var orthogonality = (r.matmul(r.transpose(1, 2)) - eye(3, dtype: ScalarType.Float64)).abs().max().item<double>();
        Assert.That(orthogonality, Is.LessThan(1e-12));
        Assert.That(linalg.det(r).sub(1).abs().max().item<double>(), Is.LessThan(1e-12), "rotations, not reflections");
        // The same Gaussian draws through a per-sample QR (MathNet) with the same sign fix give the same rotations:
        // QR with a positive diagonal of R is unique.
        using var again = new Generator(21);
        var gauss = randn(new[] { 20_000L, 3L, 3L }, dtype: ScalarType.Float64, generator: again);
        var flat = gauss.data<double>().ToArray();
        for (int b = 0; b < 50; b++)
        {
            var m = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(3, 3, (i, j) => flat[b * 9 + i * 3 + j]);
            var qr = m.QR();
            var q = qr.Q.Clone();
            for (int j = 0; j < 3; j++) if (qr.R[j, j] < 0) q.SetColumn(j, q.Column(j).Negate());
            if (q.Determinant() < 0) q.SetColumn(0, q.Column(0).Negate());
            Assert.That(r[b].data<double>().ToArray(), Is.EqualTo(q.ToRowMajorArray()).Within(1e-12), $"sample {b}");
        }
        // Haar moments on SO(3): E[R] = 0, E[R_ij²] = 1/3, E[tr R] = 0, E[(tr R)²] = 1 (standard errors ≈ 0.004–0.007).
        Assert.That(r.mean(new long[] { 0 }).abs().max().item<double>(), Is.LessThan(0.03));
        Assert.That((r * r).mean(new long[] { 0 }).sub(1.0 / 3).abs().max().item<double>(), Is.LessThan(0.03));
        var trace = r.diagonal(dim1: 1, dim2: 2).sum(1);
        Assert.That(trace.mean().item<double>(), Is.EqualTo(0).Within(0.03));
        Assert.That((trace * trace).mean().item<double>(), Is.EqualTo(1).Within(0.05));
    }

    [Test]
    public void ContinuousGroup_SamplesInItsRange_AndItsGeneratorGivesTheOneParameterSubgroup()
    {
        var translate = new Translation2D(ParameterRange.Symmetric(0.5), directionU: 3, directionV: 4);
        var group = translate.Group;
        Assert.That(group.ParameterCount, Is.EqualTo(2));
        Assert.That(group.Generator, Is.EqualTo(new[] { 0.6, 0.8 }).Within(1e-15));
        using var g = new Generator(5);
        using var drawn = group.Sample(500, g);
        var v = drawn.Values.data<double>().ToArray();
        Assert.That(v.Min(), Is.GreaterThanOrEqualTo(-0.5));
        Assert.That(v.Max(), Is.LessThanOrEqualTo(0.5));
        using var at = group.At(0.25, 3);
        Assert.That(at.Values.data<double>().ToArray(), Is.EqualTo(new[] { 0.15, 0.2, 0.15, 0.2, 0.15, 0.2 }).Within(1e-15));
        // g_t applied through Apply equals ApplyAt(t): the group's generator is the transform's subgroup.
        using var scope = NewDisposeScope();
        var x = rand(new long[] { 3, 1, 8, 8 }, dtype: ScalarType.Float64, generator: g);
        Assert.That(translate.Apply(x, at).allclose(translate.ApplyAt(x, 0.25), 1e-12, 1e-12), Is.True);
        Assert.Throws<ArgumentException>(() => group.Elements(zeros(new long[] { 3, 1 }, ScalarType.Float64)));
    }

    [Test]
    public void ElementsOfOneGroup_ActThroughAnyTransformOfThatGroup_AndOthersAreRefused()
    {
        using var scope = NewDisposeScope();
        var x = rand(2, 1, 4, 4);
        using var two = new CyclicShift(4).Group.Element(2, 2);
        Assert.That(new RotationByQuarterTurns().Apply(x, two).allclose(x.rot90(2, (2, 3)), 0, 0), Is.True, "a roll's C4 element 2 is a half turn for rot90");
        using var flip = Flip.Horizontal().Group.Element(1, 2);
        var ex = Assert.Throws<ArgumentException>(() => new RotationByQuarterTurns().Apply(x, flip));
        Assert.That(ex!.Message, Does.Contain("C4").And.Contain("C2"));
    }
}
