using EquivarianceRegularizer.Models;
using System.Text.Json;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.NUnit;
using EquivarianceRegularizer.Transforms;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests.Audit;

/// <summary>
/// Issue 11 item 6: one model with the default options gets one verdict through <see cref="Auditor.Audit(ObservedModel, Symmetry, AuditOptions)"/>,
/// <see cref="EquivarianceAssert"/> and <c>eqv audit</c> (no --layers, no --gradient: the defaults alone).
/// </summary>
public class OneVerdictTests
{
    private static readonly long[] Shape = { 1, 12, 12 };

    // saturated_cnn used to be the split case: the library's default gradient test refused to judge it
    // (NEEDS_ATTENTION) while eqv audit, without --gradient, passed it.
    [TestCase("saturated_cnn", Verdict.Pass)]
    [TestCase("c4_invariant_cnn", Verdict.Pass)]
    [TestCase("plain_cnn", Verdict.Fail)]
    [TestCase("stride2_cnn", Verdict.Fail)]
    public void DefaultOptions_GiveOneVerdict_InTheLibrary_TheAssertion_AndTheCli(string fixture, Verdict expected)
    {
        string path = Path.Combine(Fixtures, fixture + ".pt");
        var spec = Symmetry.Invariant(new RotationByQuarterTurns());

        var report = Auditor.Audit(path, spec, AuditOptions.Default with { InputShape = Shape });
        Verdict library = report.Verdict;
        Assert.That(report.Layers.Where(l => l.Tested), Is.Not.Empty, "the file's layers are observed through the archive's taps");

        string assertion;
        using (var tapped = TappedScriptModule.Load(path))
        {
            var model = new TappedModel(tapped, fixture);
            if (expected == Verdict.Pass)
                assertion = EquivarianceAssert.Satisfies(model, spec, EquivarianceAssert.Defaults(Shape)).Verdict.Label();
            else
            {
                var ex = Assert.Throws<AssertionException>(() => EquivarianceAssert.Satisfies(model, spec, EquivarianceAssert.Defaults(Shape)));
                assertion = ex!.Message.Split(':', 3)[1].Trim(); // "Equivariance audit: FAIL: …"
            }
        }

        string json = Path.Combine(Path.GetTempPath(), $"eqv-one-verdict-{fixture}-{Guid.NewGuid():N}.json");
        try
        {
            var r = Eqv("audit", path, "--input-shape", "1,12,12", "--transform", "rot90", "--json", json, "--quiet");
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            string cli = doc.RootElement.GetProperty("verdict").GetString()!;
            int exit = expected switch { Verdict.Pass => ExitCodes.Pass, Verdict.NeedsAttention => ExitCodes.NeedsAttention, _ => ExitCodes.Fail };

            Assert.That(library, Is.EqualTo(expected), "Auditor.Audit");
            Assert.That(assertion, Is.EqualTo(expected.Label()), "EquivarianceAssert");
            Assert.That(cli, Is.EqualTo(expected.Label()), "eqv audit JSON");
            Assert.That(r.Exit, Is.EqualTo(exit), "eqv audit exit code: " + r.Stdout + r.Stderr);
        }
        finally { File.Delete(json); }
    }
}
