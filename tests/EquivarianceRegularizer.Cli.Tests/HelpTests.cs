using EquivarianceRegularizer.Transforms;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>Issue 12.7: help for a first-time user; one transform catalogue for --help and docs/audit.md.</summary>
public class HelpTests
{
    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException(relative);
    }

    [Test]
    public void BareEqv_PrintsHelp_WithTheCommandsAndExitCodes()
    {
        var r = Eqv();
        Assert.That(r.Exit, Is.EqualTo(ExitCodes.Usage));
        Assert.That(r.Stdout, Does.Contain("audit").And.Contain("lie").And.Contain("Exit codes: 0 PASS"));
    }

    [TestCase("frob")]
    [TestCase("audits")]
    public void UnknownCommand_SaysItIsUnknown(string name)
    {
        var r = Eqv(name, "model.pt");
        Assert.That(r.Exit, Is.EqualTo(ExitCodes.Usage));
        Assert.That(r.Stderr.Trim(), Is.EqualTo($"eqv: unknown command '{name}'; the commands are audit and lie (eqv --help)."));
    }

    [TestCase("audit")]
    [TestCase("lie")]
    public void CommandHelp_UsesPathAndNPlaceholders_AndListsExitCodes(string command)
    {
        var help = Eqv(command, "--help").Stdout;
        Assert.That(help, Does.Contain("--json <PATH>").And.Contain("--html <PATH>").And.Contain("--markdown <PATH>").And.Contain("--samples <N>").And.Contain("--seed <N>"));
        Assert.That(help, Does.Contain("--input-shape <C,H,W>").And.Contain("--create-dirs"));
        Assert.That(help, Does.Contain(ExitCodes.Table[..40]));
    }

    [Test]
    public void AuditHelp_DescribesEveryTransformAndItsParameters()
    {
        var help = Eqv("audit", "--help").Stdout;
        foreach (var e in TransformCatalogue.All) Assert.That(help, Does.Contain(e.Syntax + " ").And.Contain(e.Description[..30]), e.Syntax);
        Assert.That(help, Does.Contain("roll[:dim=K]").And.Contain("2-D translation"));
        var lie = Eqv("lie", "--help").Stdout;
        foreach (var e in TransformCatalogue.All.Where(e => e.Continuous)) Assert.That(lie, Does.Contain(e.Syntax + " "), e.Syntax);
        Assert.That(lie, Does.Contain("--align-corners"));
    }

    [Test]
    public void DocsAuditMd_ListsTheSameCatalogue()
    {
        string docs = File.ReadAllText(RepoFile(Path.Combine("docs", "audit.md")));
        foreach (var e in TransformCatalogue.All) Assert.That(docs, Does.Contain($"| `{e.Syntax}` | {e.Description} |"), e.Syntax);
        Assert.That(docs, Does.Contain(ExitCodes.Table));
    }

    [Test]
    public void EveryCatalogueEntry_IsAcceptedByTheParser()
    {
        foreach (var e in TransformCatalogue.All.Where(e => e.Name is not ("so2-vector" or "so3-vector" or "saturation" or "hue")))
            Assert.That(() => TransformCatalogue.Create(e.Name, new long[] { 2, 8, 8 }), Throws.Nothing, e.Name);
        foreach (var name in TransformCatalogue.ContinuousNames)
            Assert.That(TransformCatalogue.ContinuousNames, Does.Contain(name));
    }
}
