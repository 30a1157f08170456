using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Recipes;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Recipes;

public class GroupAveragedTests
{
    private static Tensor Input(ulong seed, params long[] shape)
    {
        using var g = new Generator(seed);
        return rand(shape, ScalarType.Float64, generator: g);
    }

    private static nn.Module<Tensor, Tensor> PlainFcn(ulong seed)
    {
        using var g = new Generator(seed);
        var model = nn.Sequential(nn.Conv2d(1, 3, 3, padding: 1, dtype: ScalarType.Float64).Seeded(g), nn.Tanh(),
            nn.Conv2d(3, 2, 3, padding: 1, dtype: ScalarType.Float64).Seeded(g));
        model.eval();
        return model;
    }

    private static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().ToDouble();

    [Test]
    public void Invariant_AverageOfAPlainCnn_GivesTheSameOutputUnderEveryQuarterTurn_InFloat64()
    {
        using var scope = NewDisposeScope();
        var rot = new RotationByQuarterTurns();
        var cnn = Cnns.NamedCnn(5, classes: 4, dtype: ScalarType.Float64);
        cnn.eval();
        using var averaged = GroupAveraged.Invariant(cnn, rot);
        var x = Input(1, 3, 1, 8, 8);
        using var nograd = no_grad();
        var y = averaged.call(x);
        Assert.That(y.shape, Is.EqualTo(new long[] { 3, 4 }));
        for (int k = 1; k < 4; k++)
        {
            using var e = rot.Group.Element(k, 3);
            var turned = rot.Apply(x, e);
            Assert.That(MaxDifference(averaged.call(turned), y), Is.LessThan(1e-12), $"{k} quarter turns");
            Assert.That(MaxDifference(cnn.call(turned), cnn.call(x)), Is.GreaterThan(1e-4), "the wrapped CNN alone is not invariant");
        }
        var mean = stack(Enumerable.Range(0, 4).Select(k => { using var e = rot.Group.Element(k, 3); return cnn.call(rot.Apply(x, e)); }).ToArray()).mean(new long[] { 0 });
        Assert.That(MaxDifference(y, mean), Is.LessThan(1e-12), "the output is the mean of the model over the four turns");
    }

    [Test]
    public void Equivariant_OverD4_TurnsAndFlipsTheOutputWithTheInput_ForEveryElement()
    {
        using var scope = NewDisposeScope();
        var d4 = new DihedralTransform();
        var fcn = PlainFcn(3);
        using var averaged = GroupAveraged.Equivariant(fcn, d4);
        var x = Input(2, 2, 1, 7, 7);
        using var nograd = no_grad();
        var y = averaged.call(x);
        for (int k = 1; k < 8; k++)
        {
            using var e = d4.Group.Element(k, 2);
            Assert.That(MaxDifference(averaged.call(d4.Apply(x, e)), d4.Apply(y, e)), Is.LessThan(1e-12), d4.Group.DescribeElement(k));
            Assert.That(MaxDifference(fcn.call(d4.Apply(x, e)), d4.Apply(fcn.call(x), e)), Is.GreaterThan(1e-4), "the wrapped model alone is not equivariant");
        }
    }

    [Test]
    public void Equivariant_WithAnotherOutputAction_UndoesEachTurnOnTheOutputWithItsInverse()
    {
        // C4 acting on images by quarter turns and on a 4-vector by cyclic shifts: a turn by k must shift the output by k,
        // which holds only if the average undoes the turn by k with a shift by −k (and not +k) for k = 1, 3.
        using var scope = NewDisposeScope();
        var rot = new RotationByQuarterTurns();
        var shift = new CyclicShift(4);
        var cnn = Cnns.NamedCnn(8, classes: 4, dtype: ScalarType.Float64);
        cnn.eval();
        using var averaged = new GroupAveraged(cnn, new Symmetry(rot, shift));
        var x = Input(4, 2, 1, 6, 6);
        using var nograd = no_grad();
        var y = averaged.call(x);
        for (int k = 1; k < 4; k++)
        {
            using var e = rot.Group.Element(k, 2);
            Assert.That(MaxDifference(averaged.call(rot.Apply(x, e)), shift.Apply(y, e)), Is.LessThan(1e-12), $"{k} quarter turns");
        }
    }

    [Test]
    public void InTrainingMode_BatchNormSeesTheWholeOrbit_SoTheAverageStaysInvariant()
    {
        using var scope = NewDisposeScope();
        var rot = new RotationByQuarterTurns();
        var cnn = Cnns.BatchNormMaxPoolCnn();
        cnn.to(ScalarType.Float64);
        using var averaged = GroupAveraged.Invariant(cnn, rot);
        averaged.train();
        var x = Input(5, 4, 1, 12, 12);
        using var nograd = no_grad();
        var y = averaged.call(x);
        using var e = rot.Group.Element(1, 4);
        Assert.That(MaxDifference(averaged.call(rot.Apply(x, e)), y), Is.LessThan(1e-12));
    }

    [Test]
    public void Training_ReachesTheWrappedModelsParameters()
    {
        using var scope = NewDisposeScope();
        var cnn = Cnns.NamedCnn(6, classes: 3, dtype: ScalarType.Float64);
        using var averaged = GroupAveraged.Invariant(cnn, new RotationByQuarterTurns());
        Assert.That(averaged.parameters().Count(), Is.EqualTo(cnn.parameters().Count()));
        Assert.That(averaged.named_children().Single().name, Is.EqualTo("model"));
        var loss = nn.functional.cross_entropy(averaged.call(Input(7, 5, 1, 8, 8)), tensor(new long[] { 0, 1, 2, 0, 1 }));
        loss.backward();
        Assert.That(cnn.parameters().All(p => p.grad is not null && p.grad.abs().sum().ToDouble() > 0), Is.True);
    }

    [Test]
    public void TheAudit_PassesTheAverage_AndFailsTheModelItAverages()
    {
        var rot = new RotationByQuarterTurns();
        var options = new AuditOptions { InputShape = new long[] { 1, 8, 8 }, Samples = 4 };
        using var plain = Cnns.NamedCnn(9, classes: 4);
        plain.eval();
        Assert.That(Auditor.Audit(plain, Symmetry.Invariant(rot), options).Verdict, Is.EqualTo(Verdict.Fail));
        using var averaged = GroupAveraged.Invariant(Cnns.NamedCnn(9, classes: 4), rot);
        averaged.eval();
        var report = Auditor.Audit(averaged, Symmetry.Invariant(rot), options);
        Assert.That(report.Verdict, Is.EqualTo(Verdict.Pass), report.ToString());
    }

    [Test]
    public void AContinuousGroup_IsRefused_WithTheWayOut()
    {
        using var cnn = Cnns.NamedCnn(1);
        var e = Assert.Throws<ArgumentException>(() => GroupAveraged.Invariant(cnn, new Rotation()))!;
        Assert.That(e.ParamName, Is.EqualTo("symmetry"));
        Assert.That(e.Message, Does.Contain("finite group").And.Contain("GroupAugmentation"));
    }

    [Test]
    public void AnIndependentPair_IsRefused_BecauseNoElementIsShared()
    {
        using var cnn = Cnns.NamedCnn(1, classes: 4);
        var rot = new RotationByQuarterTurns();
        var e = Assert.Throws<ArgumentException>(() => new GroupAveraged(cnn, Symmetry.Independent(rot, new CyclicShift(4))))!;
        Assert.That(e.ParamName, Is.EqualTo("symmetry"));
        Assert.That(e.Message, Does.Contain("Symmetry.Independent"));
    }
}
