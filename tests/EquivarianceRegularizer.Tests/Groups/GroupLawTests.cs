using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Transforms;
using FsCheck;
using FsCheck.Fluent;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Groups;

/// <summary>
/// The group law of every group: identity, inverse and associativity hold for all elements (FsCheck draws the seeds and
/// batch sizes; each case checks a whole batch), and every exact transform is a homomorphism: acting by a·b is acting
/// by b, then by a; acting by e changes nothing; acting by g⁻¹ undoes g.
/// </summary>
public class GroupLawTests
{
    private static readonly Config Cases = Config.QuickThrowOnFailure.WithMaxTest(25).WithQuietOnSuccess(true);

    /// <summary>Positive reals under multiplication: a user's own group with its law.</summary>
    private static CustomGroup PositiveReals() => new("R>0",
        (n, g) => rand(new[] { n, 1L }, dtype: ScalarType.Float64, generator: g) * 2 + 0.1,
        n => ones(new[] { n, 1L }, ScalarType.Float64),
        p => p.reciprocal(),
        (a, b) => a * b);

    private static IEnumerable<TestCaseData> EveryGroup()
    {
        yield return new TestCaseData(TrivialGroup.Instance).SetArgDisplayNames("trivial");
        yield return new TestCaseData(new CyclicGroup(2)).SetArgDisplayNames("C2");
        yield return new TestCaseData(new CyclicGroup(5)).SetArgDisplayNames("C5");
        yield return new TestCaseData(new DihedralGroup(3)).SetArgDisplayNames("D3");
        yield return new TestCaseData(new DihedralGroup(4)).SetArgDisplayNames("D4");
        yield return new TestCaseData(new SymmetricGroup(1)).SetArgDisplayNames("S1");
        yield return new TestCaseData(new SymmetricGroup(5)).SetArgDisplayNames("S5");
        yield return new TestCaseData(new PlaneRotationGroup()).SetArgDisplayNames("SO(2)");
        yield return new TestCaseData(new RealGroup(ParameterRange.Symmetric(2))).SetArgDisplayNames("R");
        yield return new TestCaseData(new RealGroup(ParameterRange.Symmetric(2), 3)).SetArgDisplayNames("R^3");
        yield return new TestCaseData(new SpaceRotationGroup()).SetArgDisplayNames("SO(3)");
        yield return new TestCaseData(new ProductGroup(new CyclicGroup(4), new PlaneRotationGroup(), new SymmetricGroup(3))).SetArgDisplayNames("C4×SO(2)×S3");
        yield return new TestCaseData(PositiveReals()).SetArgDisplayNames("custom R>0");
    }

    private static Gen<(int Seed, long Batch)> Draws => Gen.Zip(Gen.Choose(0, 100_000), Gen.Choose(1, 12).Select(b => (long)b));

    private static void Holds(Func<(int Seed, long Batch), bool> law) =>
        Check.One(Cases, Prop.ForAll(Draws.ToArbitrary(), law));

    private static bool Same(GroupElements a, GroupElements b)
    {
        if (a.Group != b.Group || a.BatchSize != b.BatchSize) return false;
        if (a.Parts.Count > 0) return a.Parts.Count == b.Parts.Count && a.Parts.Zip(b.Parts).All(p => Same(p.First, p.Second));
        using var scope = NewDisposeScope();
        return !a.Values.dtype.IsFloatingPoint()
            ? a.Values.shape.SequenceEqual(b.Values.shape) && a.Values.eq(b.Values).all().item<bool>()
            : a.Values.allclose(b.Values, rtol: 1e-10, atol: 1e-10);
    }

    [TestCaseSource(nameof(EveryGroup))]
    public void Identity_IsNeutral_OnBothSides(Group group) => Holds(d =>
    {
        using var gen = new Generator((ulong)d.Seed);
        using var g = group.Sample(d.Batch, gen);
        using var e = group.Identity(d.Batch);
        using var eg = group.Compose(e, g);
        using var ge = group.Compose(g, e);
        return Same(eg, g) && Same(ge, g);
    });

    [TestCaseSource(nameof(EveryGroup))]
    public void Inverse_ComposesToTheIdentity_OnBothSides(Group group) => Holds(d =>
    {
        using var gen = new Generator((ulong)d.Seed);
        using var g = group.Sample(d.Batch, gen);
        using var inv = group.Inverse(g);
        using var e = group.Identity(d.Batch);
        using var left = group.Compose(inv, g);
        using var right = group.Compose(g, inv);
        return Same(left, e) && Same(right, e);
    });

    [TestCaseSource(nameof(EveryGroup))]
    public void Composition_IsAssociative(Group group) => Holds(d =>
    {
        using var gen = new Generator((ulong)d.Seed);
        using var a = group.Sample(d.Batch, gen);
        using var b = group.Sample(d.Batch, gen);
        using var c = group.Sample(d.Batch, gen);
        using var ab = group.Compose(a, b);
        using var bc = group.Compose(b, c);
        using var abc1 = group.Compose(ab, c);
        using var abc2 = group.Compose(a, bc);
        return Same(abc1, abc2);
    });

    [TestCaseSource(nameof(EveryGroup))]
    public void ABatchOfOne_ComposesWithEverySample(Group group)
    {
        using var gen = new Generator(11);
        using var one = group.Sample(1, gen);
        using var many = group.Sample(6, gen);
        using var product = group.Compose(one, many);
        Assert.That(product.BatchSize, Is.EqualTo(6));
        using var oneInverse = group.Inverse(one);
        using var back = group.Compose(oneInverse, product);
        Assert.That(Same(back, many), Is.True);
    }

    [Test]
    public void TheDihedralLaw_IsTheSquaresSymmetries_ByTheirTable()
    {
        var d4 = new DihedralGroup(4);
        long Product(int a, int b)
        {
            using var ea = d4.Element(a, 1);
            using var eb = d4.Element(b, 1);
            using var p = d4.Compose(ea, eb);
            return FiniteGroup.Indices(p)[0];
        }
        Assert.That(Product(1, 1), Is.EqualTo(2), "r·r = r²");
        Assert.That(Product(4, 1), Is.EqualTo(7), "s·r = r³·s");
        Assert.That(Product(1, 4), Is.EqualTo(5), "r·s = r·s");
        Assert.That(Product(5, 5), Is.EqualTo(0), "every reflection is an involution");
        Assert.That(Product(3, 1), Is.EqualTo(0), "r³·r = e");
    }

    /// <summary>Transforms whose action involves no interpolation, with a sample shape they act on.</summary>
    private static IEnumerable<TestCaseData> ExactTransforms()
    {
        foreach (var (name, shape) in new (string, long[])[]
        {
            ("rot90", new long[] { 2, 6, 6 }), ("flip-h", new long[] { 2, 5, 6 }), ("d4", new long[] { 1, 6, 6 }), ("roll", new long[] { 7 }),
            ("permute", new long[] { 5, 3 }), ("so2-vector", new long[] { 4, 2 }), ("so3-vector", new long[] { 4, 3 }),
            ("brightness", new long[] { 3, 4, 4 }), ("saturation", new long[] { 3, 4, 4 }), ("hue", new long[] { 3, 4, 4 }),
        })
            yield return new TestCaseData(name, shape).SetArgDisplayNames(name);
        yield return new TestCaseData("flip-h∘brightness", new long[] { 3, 4, 4 }).SetArgDisplayNames("flip-h∘brightness");
    }

    private static IGroupTransform Create(string name, long[] shape) => name == "flip-h∘brightness"
        ? new ComposedTransform(Flip.Horizontal(), new Brightness())
        : TransformCatalogue.Create(name, shape);

    [TestCaseSource(nameof(ExactTransforms))]
    public void ExactTransforms_AreHomomorphisms_OfTheirGroupsLaw(string name, long[] shape)
    {
        var t = Create(name, shape);
        var group = t.Group;
        Holds(d =>
        {
            using var scope = NewDisposeScope();
            using var gen = new Generator((ulong)d.Seed);
            var x = randn(new[] { d.Batch }.Concat(shape).ToArray(), dtype: ScalarType.Float64, generator: gen);
            using var a = group.Sample(d.Batch, gen);
            using var b = group.Sample(d.Batch, gen);
            using var ab = group.Compose(a, b);
            using var e = group.Identity(d.Batch);
            using var inv = group.Inverse(a);
            return t.Apply(t.Apply(x, b), a).allclose(t.Apply(x, ab), 1e-9, 1e-9)
                && t.Apply(x, e).allclose(x, 0, 0)
                && t.Apply(t.Apply(x, a), inv).allclose(x, 1e-9, 1e-9);
        });
    }

    [Test]
    public void TestingElements_AreChosenByTheGroup()
    {
        using var gen = new Generator(2);
        var d4 = new DihedralTransform().Group.TestingElements(3, 5, gen);
        Assert.That(d4.Select(e => FiniteGroup.Indices(e).Distinct().Single()), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6, 7 }), "a finite group enumerates its non-identity elements");
        Assert.That(d4.All(e => e.BatchSize == 3), Is.True);
        Assert.That(TrivialGroup.Instance.TestingElements(3, 5, gen), Is.Empty);
        // S2 has one non-identity element: every row of every draw is the swap.
        var s2 = new SymmetricGroup(2).TestingElements(50, 4, gen);
        Assert.That(s2, Has.Count.EqualTo(4));
        Assert.That(s2.All(e => e.Values.eq(tensor(new long[] { 1, 0 })).all().item<bool>()), Is.True, "the identity is never tested");
        var s4 = new SymmetricGroup(4).TestingElements(200, 1, gen)[0];
        using var id = new SymmetricGroup(4).Identity(200);
        Assert.That(s4.Values.eq(id.Values).all(1).any().item<bool>(), Is.False);
        Assert.That(new RealGroup(ParameterRange.Symmetric(1)).TestingElements(4, 3, gen), Has.Count.EqualTo(3), "a continuous group draws");
        Assert.Throws<InvalidOperationException>(() => new SymmetricGroup(1).TestingElements(1, 1, gen));
    }

    [Test]
    public void TheLaw_RunsOnTheElementsDevice()
    {
        // No CUDA backend here: libtorch's meta device (shapes without data) fails on any tensor mixed in from the CPU.
        var meta = new Device(DeviceType.META);
        foreach (var group in new Group[] { new CyclicGroup(4), new DihedralGroup(4), new SymmetricGroup(4), new PlaneRotationGroup(), new SpaceRotationGroup() })
        {
            using var e = group.Identity(3, meta);
            Assert.That(e.Values.device_type, Is.EqualTo(DeviceType.META), group.Name);
            using var ee = group.Compose(e, e);
            using var inv = group.Inverse(ee);
            Assert.That(inv.Values.device_type, Is.EqualTo(DeviceType.META), group.Name);
            Assert.That(inv.BatchSize, Is.EqualTo(3));
        }
    }

    [Test]
    public void AGroupWithoutALaw_SaysWhatToPass()
    {
        var drawnOnly = new CustomGroup("shift", (n, g) => rand(new[] { n, 1L }, dtype: ScalarType.Float64, generator: g));
        Assert.That(drawnOnly.HasLaw, Is.False);
        var ex = Assert.Throws<InvalidOperationException>(() => drawnOnly.Identity(2));
        Assert.That(ex!.Message, Does.Contain("shift").And.Contain("identity, inverse and compose"));
        var half = Assert.Throws<ArgumentException>(() => new CustomGroup("shift", (n, g) => zeros(n, 1), identity: n => zeros(n, 1)));
        Assert.That(half!.Message, Does.Contain("all three"));
        Assert.That(PositiveReals().HasLaw, Is.True);
    }

    [Test]
    public void Elements_OfAnotherGroup_AreRefused_ByName()
    {
        using var c4 = new CyclicGroup(4).Identity(2);
        var ex = Assert.Throws<ArgumentException>(() => new CyclicGroup(5).Inverse(c4));
        Assert.That(ex!.Message, Does.Contain("C5").And.Contain("C4"));
        using var three = new CyclicGroup(4).Identity(3);
        var sizes = Assert.Throws<ArgumentException>(() => new CyclicGroup(4).Compose(c4, three));
        Assert.That(sizes!.Message, Does.Contain("2").And.Contain("3"));
    }
}
