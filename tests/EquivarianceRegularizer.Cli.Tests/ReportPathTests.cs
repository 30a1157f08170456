using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>Issue 12.5: a report path in a missing folder is an error unless --create-dirs; every written report says where.</summary>
public class ReportPathTests
{
    private static string Cnn => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", "small_cnn_scripted.pt");
    private static string Audit => Path.Combine(Fixtures, "c4_invariant_cnn.pt");

    [TestCase("audit", "--json")]
    [TestCase("audit", "--html")]
    [TestCase("audit", "--text")]
    [TestCase("lie", "--markdown")]
    public void ReportInAMissingFolder_ExitsTwo_BeforeAnyWork_AndCreatesNothing(string command, string option)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"eqv-missing-{Guid.NewGuid():N}", "sub");
        string[] args = command == "audit"
            ? new[] { "audit", Audit, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "2", option, Path.Combine(dir, "r") }
            : new[] { "lie", Cnn, "--input-shape", "1,8,8", "--samples", "2", option, Path.Combine(dir, "r") };
        var (exit, stdout, stderr) = Eqv(args);
        Assert.That(exit, Is.EqualTo(ExitCodes.Usage), stdout);
        Assert.That(stderr.Trim(), Does.StartWith($"eqv: {option}: the folder ").And.Contain("does not exist; create it, or pass --create-dirs"));
        Assert.That(stdout, Is.Empty, "checked before the model runs");
        Assert.That(Directory.Exists(Path.GetDirectoryName(dir)), Is.False, "nothing is created");
    }

    [Test]
    public void CreateDirs_CreatesTheFolder_AndEveryReportSaysWhereItWasWritten()
    {
        string root = Path.Combine(Path.GetTempPath(), $"eqv-create-{Guid.NewGuid():N}");
        string json = Path.Combine(root, "a", "r.json"), md = Path.Combine(root, "b", "r.md");
        try
        {
            var r = Eqv("audit", Audit, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "2", "--json", json, "--markdown", md, "--create-dirs");
            Assert.That(r.Exit, Is.EqualTo(0), r.Stderr);
            Assert.That(File.Exists(json) && File.Exists(md), Is.True);
            Assert.That(r.Stdout, Does.Contain($"JSON report written to {json}").And.Contain($"Markdown report written to {md}"));
            var lie = Eqv("lie", Cnn, "--input-shape", "1,8,8", "--samples", "2", "--generators", "rotate", "--json", Path.Combine(root, "c", "l.json"), "--create-dirs");
            Assert.That(lie.Stdout, Does.Contain($"JSON report written to {Path.Combine(root, "c", "l.json")}"));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Test]
    public void ReportPathThatIsAFolder_ExitsTwo() =>
        Assert.That(Eqv("audit", Audit, "--input-shape", "1,12,12", "--transform", "rot90", "--json", Path.GetTempPath()).Stderr, Does.Contain("is a folder"));
}
