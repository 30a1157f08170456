using System.Diagnostics;
using static EquivarianceRegularizer.Cli.Tests.CliPatternTests;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>Issue 12.4: stages with progress on stderr (plain lines when piped); -q silences them.</summary>
public class ProgressTests
{
    private static string Cnn => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", "small_cnn_scripted.pt");

    [Test]
    public void Lie_ReportsEachTransform_WithCountRateAndTimeLeft()
    {
        var r = EqvWithStatus("lie", Cnn, "--input-shape", "1,8,8", "--generators", "translate-x,rotate", "--samples", "2");
        Assert.That(r.Exit, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Status, Does.Contain("eqv: checking and loading the model…").And.Contain("eqv: checking and loading the model: done in "));
        Assert.That(r.Status, Does.Match(@"eqv: measuring the LEE \[1/2\] translate-x: [\d.]+ s \([\d.]+/s, ~[\d.]+ s left\)"));
        Assert.That(r.Status, Does.Contain("[2/2] rotate"));
        Assert.That(r.Stdout, Does.Not.Contain("measuring"), "progress never mixes with results on stdout");
    }

    [Test]
    public void Audit_ReportsItsStages()
    {
        var r = EqvWithStatus("audit", Path.Combine(Fixtures, "c4_invariant_cnn.pt"), "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "2", "--layers");
        Assert.That(r.Exit, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Status, Does.Contain("eqv: auditing: end-to-end, layers (2 samples)…").And.Contain("eqv: auditing: end-to-end, layers (2 samples): done in "));
    }

    [Test]
    public void Quiet_SilencesProgress()
    {
        var r = EqvWithStatus("lie", Cnn, "--input-shape", "1,8,8", "--generators", "rotate", "--samples", "2", "-q");
        Assert.That(r.Exit, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Status, Does.Not.Contain("measuring").And.Not.Contain("loading"));
        Assert.That(r.Stdout.Trim().Split('\n'), Has.Length.EqualTo(1), "-q: one result line per transform");
    }

    [Test]
    public void EqvProcess_PipedStderr_GetsPlainProgressLines_NoTerminalCodes()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "eqv.dll"));
        foreach (var a in new[] { "lie", Cnn, "--input-shape", "1,8,8", "--generators", "rotate", "--samples", "2" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), err.Result);
        Assert.That(err.Result, Does.Contain("eqv: measuring the LEE [1/1] rotate"));
        Assert.That(err.Result.IndexOf('\u001b', StringComparison.Ordinal), Is.EqualTo(-1), "no ANSI escapes when piped");
    }
}
