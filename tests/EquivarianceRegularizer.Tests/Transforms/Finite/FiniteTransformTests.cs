using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Data;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Transforms.Finite;

public class FiniteTransformTests
{
    private static readonly IFiniteTransform[] Groups =
    {
        new RotationByQuarterTurns(), Flip.Horizontal(), Flip.Vertical(), new DihedralTransform(), new CyclicShift(5),
    };

    [TestCaseSource(nameof(Groups))]
    public void Element0_IsTheIdentity(IFiniteTransform t)
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 2, 5, 5);
        using var e = t.Group.Element(0, 3);
        Assert.That(t.Apply(x, e).allclose(x, 0, 0), Is.True);
    }

    [TestCaseSource(nameof(Groups))]
    public void EveryElement_RaisedToTheGroupOrder_IsTheIdentity(IFiniteTransform t)
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 5, 5);
        for (int k = 0; k < t.Group.Order; k++)
        {
            using var e = t.Group.Element(k, 2);
            var y = x;
            for (int r = 0; r < t.Group.Order; r++) y = t.Apply(y, e);
            Assert.That(y.allclose(x, 0, 0), Is.True, $"{t.Name} element {k}");
        }
    }

    [Test]
    public void Apply_WithMixedElements_TransformsEachSampleByItsOwnElement()
    {
        using var scope = NewDisposeScope();
        var t = new RotationByQuarterTurns();
        using var g = new Generator(7);
        var x = randn(16, 1, 4, 4);
        using var e = t.Group.Sample(16, g);
        var y = t.Apply(x, e);
        long[] ks = e.Values.data<long>().ToArray();
        Assert.That(ks.Distinct().Count(), Is.GreaterThan(1), "the seed should draw several elements");
        for (int i = 0; i < 16; i++)
            Assert.That(y[i].allclose(x[i].rot90(ks[i], (1, 2)), 0, 0), Is.True, $"sample {i}");
    }

    [Test]
    public void Permutation_SameElementsOnTwoTensors_PermutesBothAlike()
    {
        using var scope = NewDisposeScope();
        var p = new Permutation(6, 0);
        using var g = new Generator(3);
        var x = randn(4, 6, 3);
        using var e = p.Group.Sample(4, g);
        var y = p.Apply(x, e);
        long[] perms = e.Values.data<long>().ToArray();
        for (int b = 0; b < 4; b++)
            for (int i = 0; i < 6; i++)
                Assert.That(y[b][i].allclose(x[b][perms[b * 6 + i]], 0, 0), Is.True);
        // A sum over the set axis is invariant.
        Assert.That(y.sum(1).allclose(x.sum(1), 1e-5, 1e-5), Is.True);
    }

    [Test]
    public void Apply_WithElementsOfAnotherGroup_Throws()
    {
        using var scope = NewDisposeScope();
        using var e = Flip.Horizontal().Group.Element(1, 2);
        var ex = Assert.Throws<ArgumentException>(() => new RotationByQuarterTurns().Apply(zeros(2, 1, 3, 3), e));
        Assert.That(ex!.Message, Does.Contain("C4"));
    }

    [Test]
    public void Composition_AppliesRightFactorFirst()
    {
        using var scope = NewDisposeScope();
        var flip = Flip.Horizontal();
        var rot = new RotationByQuarterTurns();
        var c = new ComposedTransform(rot, flip);
        using var g = new Generator(5);
        var x = randn(4, 1, 3, 3);
        using var e = c.Group.Sample(4, g);
        var expected = rot.Apply(flip.Apply(x, e.Parts[1]), e.Parts[0]);
        Assert.That(c.Apply(x, e).allclose(expected, 0, 0), Is.True);
    }

    [Test]
    public void FashionMnist_TestSplit_LoadsImagesInUnitRange()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DebianDirectory, "t10k-images-idx3-ubyte.gz")))
            Assert.Ignore("dataset-fashion-mnist is not installed (scripts/setup.sh installs it).");
        using var scope = NewDisposeScope();
        var (images, labels) = FashionMnist.Load(train: false, limit: 100);
        Assert.That(images.shape, Is.EqualTo(new long[] { 100, 1, 28, 28 }));
        Assert.That(labels.shape, Is.EqualTo(new long[] { 100 }));
        Assert.That(images.min().ToDouble(), Is.GreaterThanOrEqualTo(0));
        Assert.That(images.max().ToDouble(), Is.LessThanOrEqualTo(1).And.GreaterThan(0.5));
        Assert.That(labels.max().ToDouble(), Is.LessThanOrEqualTo(9));
    }

    [Test]
    public void Idx_TruncatedFile_ThrowsInvalidData()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[] { 0, 0, 8, 1, 0, 0, 0, 10, 1, 2 });
            Assert.Throws<InvalidDataException>(() => Idx.ReadBytes(path));
        }
        finally { File.Delete(path); }
    }
}
