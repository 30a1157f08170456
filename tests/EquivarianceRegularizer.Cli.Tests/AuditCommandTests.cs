using System.Diagnostics;
using System.Text.Json;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests;

public class AuditCommandTests
{
    private static string Model(string name) => Path.Combine(Fixtures, name + ".pt");

    private static void AssertUsageError((int Exit, string Stdout, string Stderr) r, string expected)
    {
        Assert.That(r.Exit, Is.EqualTo(2), r.Stdout + r.Stderr);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), "one clear line on stderr: " + r.Stderr);
        Assert.That(lines[0], Does.StartWith("eqv: "));
        Assert.That(lines[0], Does.Contain(expected));
        Assert.That(r.Stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void NoArguments_IsUsageError() => Assert.That(Eqv().Exit, Is.EqualTo(2));

    [Test]
    public void Help_ListsTheOptions_AndExitsZero()
    {
        var r = Eqv("audit", "--help");
        Assert.That(r.Exit, Is.EqualTo(0));
        Assert.That(r.Stdout, Does.Contain("--input-shape").And.Contain("--transform").And.Contain("--layers").And.Contain("--gradient").And.Contain("--json").And.Contain("--html"));
    }

    [Test]
    public void MissingRequiredOption_ExitsTwo() =>
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--transform", "rot90"), "--input-shape");

    [Test]
    public void UnknownTransform_ExitsTwo_WithOneLine() =>
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "spin"), "unknown transform 'spin'");

    [Test]
    public void VectorRotation_OnAnAxisOfTheWrongSize_ExitsTwo() =>
        AssertUsageError(Eqv("audit", Model("deepsets"), "--input-shape", "6,3", "--transform", "so2-vector"), "must have size 2");

    [Test]
    public void MissingModelFile_ExitsTwo() =>
        AssertUsageError(Eqv("audit", "/nonexistent/model.pt", "--input-shape", "1,12,12", "--transform", "rot90"), "does not exist");

    [Test]
    public void CorruptModelFile_ExitsTwo()
    {
        string path = Path.Combine(Path.GetTempPath(), $"eqv-corrupt-{Guid.NewGuid():N}.pt");
        File.WriteAllBytes(path, new byte[] { 0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8 });
        try { AssertUsageError(Eqv("audit", path, "--input-shape", "1,12,12", "--transform", "rot90"), "cannot read model"); }
        finally { File.Delete(path); }
    }

    [Test]
    public void AnOutputActionOfAnotherGroup_IsUsageError_NamingBothGroups()
    {
        // rot90 acts by C4, flip-h by C2: no one drawn element can act on both.
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--output", "flip-h"), "acts by C2");
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--output", "flip-h"), "acts by C4");
    }

    [Test]
    public void MalformedShape_ExitsTwo() =>
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,x,12", "--transform", "rot90"), "--input-shape");

    [Test]
    public void MalformedBoundsAndDtype_ExitTwo()
    {
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--bounds", "1,0"), "--bounds");
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--dtype", "int8"), "--dtype");
    }

    [Test]
    public void ShapeTheModelCannotTake_ExitsTwo() =>
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "3,12,12", "--transform", "rot90"), "could not run");

    [Test]
    public void Rot90OnInputWithOneAxis_ExitsTwo() =>
        AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "144", "--transform", "rot90"), "needs at least 2 sample axes");

    [Test]
    public void Rot90OnNonSquareInput_IsAValidTest_ForAnInvariantModel() =>
        Assert.That(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,10", "--transform", "rot90", "--samples", "4").Exit, Is.EqualTo(0));

    [Test]
    public void PermuteAxisOutOfRange_ExitsTwo() =>
        AssertUsageError(Eqv("audit", Model("deepsets"), "--input-shape", "6,3", "--transform", "permute:dim=5"), "axis 5");

    [Test]
    public void Json_HasTheDocumentedKeys()
    {
        string json = Path.Combine(Path.GetTempPath(), $"eqv-{Guid.NewGuid():N}.json");
        try
        {
            var r = Eqv("audit", Model("plain_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "4", "--layers", "--gradient", "--json", json, "--quiet");
            Assert.That(r.Exit, Is.EqualTo(1), r.Stdout);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.That(root.GetProperty("verdict").GetString(), Is.EqualTo("FAIL"));
            var e2e = root.GetProperty("end_to_end");
            foreach (var k in new[] { "mean_abs", "max_abs", "mean_rel", "max_rel" })
                Assert.That(e2e.GetProperty(k).GetDouble(), Is.GreaterThan(0), k);
            var layers = root.GetProperty("layers").EnumerateArray().ToList();
            Assert.That(layers, Is.Not.Empty);
            foreach (var l in layers)
                foreach (var k in new[] { "name", "type", "max_rel", "verdict" })
                    Assert.That(l.TryGetProperty(k, out _), Is.True, k);
            Assert.That(root.GetProperty("first_failing_layer").GetString(), Is.EqualTo("0"));
            // TorchScript: gradient norms of the top-level children come from re-running the verified chain with probes.
            Assert.That(layers.All(l => l.GetProperty("gradient_norm").ValueKind == JsonValueKind.Number && l.GetProperty("gradient_norm").GetDouble() > 0), Is.True);
            var kinds = new[] { "train_mode", "nonlinearity", "normalization", "output_transform", "precision", "custom_layer", "boundary", "downsampling", "non_finite" };
            foreach (var d in root.GetProperty("diagnoses").EnumerateArray())
            {
                Assert.That(kinds, Does.Contain(d.GetProperty("kind").GetString()));
                foreach (var k in new[] { "location", "severity", "fix" }) Assert.That(d.GetProperty(k).GetString(), Is.Not.Empty, k);
            }
            Assert.That(root.GetProperty("gradient").GetProperty("judged").GetBoolean(), Is.True);
            Assert.That(r.Stdout.Trim(), Does.StartWith("FAIL"), "--quiet prints only the verdict line");
        }
        finally { File.Delete(json); }
    }

    [Test]
    public void AllReportFormats_AreWritten()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"eqv-{Guid.NewGuid():N}");
        try
        {
            var r = Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "4", "--layers",
                "--html", Path.Combine(dir, "r.html"), "--markdown", Path.Combine(dir, "r.md"), "--text", Path.Combine(dir, "r.txt"), "--create-dirs");
            Assert.That(r.Exit, Is.EqualTo(0), r.Stdout);
            Assert.That(File.ReadAllText(Path.Combine(dir, "r.html")), Does.StartWith("<!DOCTYPE html>").And.Contain("<svg"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "r.md")), Does.Contain("# Equivariance audit"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "r.txt")), Does.Contain("OVERALL VERDICT: PASS"));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Test]
    public void Lee_AddsTheCumulativeLeePlotToTheHtml()
    {
        string html = Path.Combine(Path.GetTempPath(), $"eqv-{Guid.NewGuid():N}.html");
        try
        {
            var r = Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "4", "--lee", "translate-x", "--html", html);
            Assert.That(r.Exit, Is.EqualTo(0), r.Stdout + r.Stderr);
            Assert.That(File.ReadAllText(html), Does.Contain("Cumulative Lie-derivative error").And.Contain("<polyline"));
            AssertUsageError(Eqv("audit", Model("c4_invariant_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--lee", "wobble"), "--lee");
        }
        finally { File.Delete(html); }
    }

    [Test]
    public void RandomInitBaseline_IsReported()
    {
        string json = Path.Combine(Path.GetTempPath(), $"eqv-{Guid.NewGuid():N}.json");
        try
        {
            var r = Eqv("audit", Model("plain_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "4", "--random-init", "--json", json);
            Assert.That(r.Exit, Is.EqualTo(1));
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.That(doc.RootElement.GetProperty("random_init").GetProperty("max_rel").GetDouble(), Is.GreaterThan(0));
        }
        finally { File.Delete(json); }
    }

    [Test]
    public void EqvProcess_ReturnsExitCodes_AndNoStackTrace()
    {
        string dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "eqv.dll");
        (int, string) Run(params string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(dll);
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, err);
        }
        var (fail, _) = Run("audit", Model("plain_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "4", "-q");
        Assert.That(fail, Is.EqualTo(1));
        var (usage, err) = Run("audit", Model("plain_cnn"), "--input-shape", "1,12,12", "--transform", "nope");
        Assert.That(usage, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
    }
}
