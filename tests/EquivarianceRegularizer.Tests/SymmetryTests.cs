using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests;

public class SymmetryTests
{
    [Test]
    public void Symmetry_IsWrittenInputFirst_AndKnowsItsGroupAndWhetherItIsInvariant()
    {
        var rot = new RotationByQuarterTurns();
        var shift = new CyclicShift(4);
        var s = new Symmetry(rot, shift);
        Assert.That(s.Input, Is.SameAs(rot));
        Assert.That(s.Output, Is.SameAs(shift));
        Assert.That(s.Group, Is.SameAs(rot.Group));
        Assert.That(s.IsInvariant, Is.False);
        Assert.That(s.Name, Is.EqualTo("rot90→roll"));
        Assert.That(Symmetry.Equivariant(rot).Name, Is.EqualTo("rot90"));
        var inv = Symmetry.Invariant(rot);
        Assert.That(inv.IsInvariant, Is.True);
        Assert.That(inv.Output, Is.SameAs(IdentityTransform.Instance));
        Assert.That(inv.ToString(), Is.EqualTo("rot90 (C4), invariant"));
    }

    [Test]
    public void TheSpecsTuples_AreTheShortWayToWriteATerm_OutputFirstAsInTheSpec()
    {
        var rot = new RotationByQuarterTurns();
        var flip = Flip.Horizontal();
        EquivarianceTerm same = (rot, 0.1, 2.0);
        EquivarianceTerm pair = (IdentityTransform.Instance, flip, 0.0, 0.5);
        Assert.That(same.Symmetry.Input, Is.SameAs(rot));
        Assert.That(same.Symmetry.Output, Is.SameAs(rot));
        Assert.That((same.Epsilon, same.Lambda), Is.EqualTo((0.1, 2.0)));
        Assert.That(pair.Symmetry.Input, Is.SameAs(flip), "(f_out, f_in, ε, λ): the second transform acts on inputs");
        Assert.That(pair.Symmetry.IsInvariant, Is.True);
        Assert.That(EquivarianceTerm.Invariant(flip, 0, 0.5).Symmetry.ToString(), Is.EqualTo(pair.Symmetry.ToString()));
    }

    [Test]
    public void ActOnOutput_IsTheOutputTransform_OrANewHandleForAnInvariance()
    {
        using var scope = NewDisposeScope();
        var rot = new RotationByQuarterTurns();
        var y = rand(2, 3, 4, 4);
        using var e = rot.Group.Element(1, 2);
        Assert.That(Symmetry.Equivariant(rot).ActOnOutput(y, e).allclose(rot.Apply(y, e), 0, 0), Is.True);
        var same = Symmetry.Invariant(rot).ActOnOutput(y, e);
        Assert.That(same.allclose(y, 0, 0), Is.True);
        Assert.That(same.Handle, Is.Not.EqualTo(y.Handle));
    }

    [Test]
    public void Kernel_DrawsOneElementPerSample_ForInputAndOutput()
    {
        using var scope = NewDisposeScope();
        using var model = torch.nn.Identity();
        using var g = new Generator(2);
        var x = rand(16, 1, 4, 4);
        // The identity map is equivariant under any C4 action acting alike on both sides; rot90 against a roll is not.
        using var alike = EquivarianceEvaluator.Evaluate(model, x, new[] { Symmetry.Equivariant(new RotationByQuarterTurns()) }, Distance.L2, g);
        using var unlike = EquivarianceEvaluator.Evaluate(model, x, new[] { new Symmetry(new RotationByQuarterTurns(), new CyclicShift(4)) }, Distance.L2, g);
        Assert.That(alike.Distances[0].max().ToDouble(), Is.EqualTo(0));
        Assert.That(unlike.Distances[0].max().ToDouble(), Is.GreaterThan(0.1));
    }
}
