using EquivarianceRegularizer.Recipes;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Recipes;

public class GroupAugmentationTests
{
    private static Tensor Images(ulong seed, long batch, long size = 6)
    {
        using var g = new Generator(seed);
        return rand(new[] { batch, 1L, size, size }, generator: g);
    }

    [Test]
    public void TheSameSeed_GivesTheSameAugmentedBatches_AnotherSeedOthers()
    {
        using var scope = NewDisposeScope();
        var x = Images(1, 32);
        var rot = new RotationByQuarterTurns();
        using var a = new GroupAugmentation(rot, seed: 7);
        using var b = new GroupAugmentation(rot, seed: 7);
        using var c = new GroupAugmentation(rot, seed: 8);
        var a1 = a.call(x);
        var a2 = a.call(x);
        Assert.That(a1.allclose(b.call(x), 0, 0), Is.True, "first call, same seed");
        Assert.That(a2.allclose(b.call(x), 0, 0), Is.True, "second call, same seed");
        Assert.That(a1.allclose(a2, 0, 0), Is.False, "the stream moves on between calls");
        Assert.That(a1.allclose(c.call(x), 0, 0), Is.False, "another seed");
    }

    [Test]
    public void AGivenGenerator_IsDrawnFrom_LikeASeedOfTheSameValue()
    {
        using var scope = NewDisposeScope();
        var x = Images(2, 16);
        var rot = new RotationByQuarterTurns();
        using var generator = new Generator(5);
        using var fromGenerator = new GroupAugmentation(rot, generator: generator);
        using var fromSeed = new GroupAugmentation(rot, seed: 5);
        Assert.That(fromGenerator.call(x).allclose(fromSeed.call(x), 0, 0), Is.True);
    }

    [Test]
    public void EachSample_GetsItsOwnElement()
    {
        using var scope = NewDisposeScope();
        var rot = new RotationByQuarterTurns();
        var image = Images(3, 1);
        var x = image.expand(64, 1, 6, 6).contiguous();
        using var augment = new GroupAugmentation(rot, seed: 11);
        var y = augment.call(x);
        var turns = new int[64];
        for (int i = 0; i < 64; i++)
        {
            turns[i] = Enumerable.Range(0, 4).Single(k => { using var e = rot.Group.Element(k, 1); return y[i].unsqueeze(0).allclose(rot.Apply(image, e), 0, 0); });
        }
        Assert.That(turns.Distinct().Count(), Is.EqualTo(4), "64 samples drawn uniformly from C4 (seed 11) show all four turns");
    }

    [Test]
    public void AnEquivariance_TurnsTheTargetsWithTheSameElement_AnInvarianceLeavesThemAlone()
    {
        using var scope = NewDisposeScope();
        var rot = new RotationByQuarterTurns();
        var x = Images(4, 16);
        using var equivariant = new GroupAugmentation(Symmetry.Equivariant(rot), seed: 2);
        var (input, target) = equivariant.call(x, x.clone());
        Assert.That(input.allclose(target, 0, 0), Is.True, "masks turn with their images");
        Assert.That(input.allclose(x, 0, 0), Is.False);
        var labels = arange(16);
        using var invariant = new GroupAugmentation(rot, seed: 2);
        var (turned, sameLabels) = invariant.call(x, labels);
        Assert.That(sameLabels.allclose(labels, 0, 0), Is.True);
        Assert.That(turned.allclose(input, 0, 0), Is.True, "the same seed draws the same turns whether or not targets come along");
    }

    [Test]
    public void AContinuousGroup_Augments_Too()
    {
        using var scope = NewDisposeScope();
        var x = Images(5, 8, 12);
        using var augment = new GroupAugmentation(new Rotation(), seed: 1);
        var y = augment.call(x);
        Assert.That(y.shape, Is.EqualTo(x.shape));
        Assert.That((y - x).abs().max().ToDouble(), Is.GreaterThan(1e-3));
    }

    [Test]
    public void BadBatches_AreRefused_NamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var augment = new GroupAugmentation(new RotationByQuarterTurns(), seed: 1);
        var e = Assert.Throws<ArgumentException>(() => augment.call(tensor(1.0f)))!;
        Assert.That(e.ParamName, Is.EqualTo("input"));
        var m = Assert.Throws<ArgumentException>(() => augment.call(Images(1, 4), arange(3)))!;
        Assert.That(m.ParamName, Is.EqualTo("target"));
        Assert.That(m.Message, Does.Contain("one target per input"));
    }

    [Test]
    public void AnIndependentPair_IsRefused_BecauseNoElementSaysHowToChangeATarget()
    {
        var rot = new RotationByQuarterTurns();
        var e = Assert.Throws<ArgumentException>(() => new GroupAugmentation(Symmetry.Independent(rot, new CyclicShift(4)), seed: 1))!;
        Assert.That(e.ParamName, Is.EqualTo("symmetry"));
        Assert.That(e.Message, Does.Contain("augment the inputs alone"));
    }
}
