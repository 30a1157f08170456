using System.Text.RegularExpressions;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests.Hardening;

/// <summary>The same command line with the same seed writes the same JSON report (apart from the timing field).</summary>
public class CliDeterminismTests
{
    private static string AuditJson(string seed)
    {
        string path = Path.Combine(Path.GetTempPath(), $"eqv-det-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, stdout, stderr) = Eqv("audit", Path.Combine(Fixtures, "c4_invariant_cnn.pt"), "--input-shape", "1,12,12", "--transform", "rotate",
                "--samples", "6", "--seed", seed, "--layers", "--json", path, "--quiet");
            Assert.That(exit, Is.Not.EqualTo(2), stdout + stderr);
            return Regex.Replace(File.ReadAllText(path), "\"seconds\": [^,\\n]+", "\"seconds\": 0");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void AuditOfTorchScriptModel_SameSeed_WritesIdenticalJson()
    {
        var a = AuditJson("5");
        var b = AuditJson("5");
        Assert.That(b, Is.EqualTo(a));
        Assert.That(AuditJson("6"), Is.Not.EqualTo(a), "the seed matters (continuous rotation angles are drawn)");
    }
}
