using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Tests.Transforms;

public class TransformCatalogueTests
{
    [Test]
    public void EveryEntry_BuildsItsTransform_ForAShapeItCanActOn()
    {
        foreach (var e in TransformCatalogue.All)
        {
            long[] shape = e.Name switch { "so2-vector" => new long[] { 4, 2 }, "so3-vector" => new long[] { 4, 3 }, "saturation" or "hue" => new long[] { 3, 8, 8 }, _ => new long[] { 2, 8, 8 } };
            var t = TransformCatalogue.Create(e.Name, shape);
            Assert.That(t.Name, Does.StartWith(e.Name == "permute" ? "permute" : e.Name == "roll" ? "roll" : e.Name), e.Syntax);
            if (e.Continuous) Assert.That(t, Is.InstanceOf<IContinuousTransform>(), e.Syntax);
        }
        Assert.That(TransformCatalogue.ContinuousNames, Is.EqualTo(TransformCatalogue.All.Where(e => e.Continuous).Select(e => e.Name)));
    }

    [Test]
    public void Arguments_Aliases_AndErrors_SpeakTheUsersTerms()
    {
        var roll = TransformCatalogue.Create("roll:dim=1", new long[] { 2, 5, 8 });
        Assert.That(roll.Group, Is.EqualTo(new CyclicShift(5).Group), "roll along axis 1 of length 5 acts by C5");
        Assert.That(TransformCatalogue.CreateContinuous("tx"), Is.InstanceOf<TranslationX>());
        Assert.That(TransformCatalogue.Create("Rotation", new long[] { 1, 8, 8 }), Is.InstanceOf<Rotation>());
        var unknown = Assert.Throws<ArgumentException>(() => TransformCatalogue.Create("twirl", new long[] { 1, 8, 8 }));
        Assert.That(unknown!.Message, Does.Contain("unknown transform 'twirl'").And.Contain("rot90"));
        var option = Assert.Throws<ArgumentException>(() => TransformCatalogue.Create("rot90:dim=1", new long[] { 1, 8, 8 }));
        Assert.That(option!.Message, Does.Contain("takes no ':' options"));
        var axis = Assert.Throws<ArgumentException>(() => TransformCatalogue.Create("roll:dim=5", new long[] { 2, 8 }));
        Assert.That(axis!.Message, Does.Contain("axis 5 does not exist"));
        var flat = Assert.Throws<ArgumentException>(() => TransformCatalogue.Create("rotate", new long[] { 16 }));
        Assert.That(flat!.Message, Does.Contain("has no spatial axes"));
        Assert.That(TransformCatalogue.HelpText("T:", continuousOnly: true), Does.Contain("translate-x").And.Not.Contain("rot90"));
    }
}
