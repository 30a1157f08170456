namespace EquivarianceRegularizer.Tests;

public class LayerSelectionTests
{
    [TestCase("layer1", "layer1", true)]
    [TestCase("layer1", "layer1.0.conv1", true)]
    [TestCase("layer1", "layer10", false)]
    [TestCase("layer1", "layer2.0.layer1", false)]
    [TestCase("*.bn1", "layer1.0.bn1", true)]
    [TestCase("*.bn1", "bn1", false)]
    [TestCase("layer?.0", "layer3.0.downsample.0", true)]
    [TestCase("layer1.0.relu", "layer1.0.relu#2", true)]
    [TestCase("features.1[0]", "features.1[0]", true)]
    public void Include_MatchesNamesGlobsAndWhatIsInside(string pattern, string name, bool expected) =>
        Assert.That(new LayerSelection(new[] { pattern }, Array.Empty<string>()).Selects(name), Is.EqualTo(expected));

    [Test]
    public void Exclude_WinsOverInclude_AndNothingGivenSelectsAll()
    {
        var s = new LayerSelection(new[] { "layer1" }, new[] { "*.bn*" });
        Assert.That(s.Selects("layer1.0.conv1"), Is.True);
        Assert.That(s.Selects("layer1.0.bn1"), Is.False);
        Assert.That(s.Selects("fc"), Is.False);
        Assert.That(LayerSelection.All.Selects("anything"), Is.True);
        Assert.That(LayerSelection.All.Describe(), Is.Null);
        Assert.That(s.Describe(), Is.EqualTo("layers matching layer1, except those matching *.bn*"));
    }

    [Test]
    public void Patterns_SplitsCommas_AndAnEmptyPatternIsRejected()
    {
        Assert.That(LayerSelection.Patterns(" layer1, fc ,,"), Is.EqualTo(new[] { "layer1", "fc" }));
        Assert.That(LayerSelection.Patterns(null), Is.Empty);
        Assert.Throws<ArgumentException>(() => _ = new LayerSelection(new[] { " " }, Array.Empty<string>()));
    }
}
