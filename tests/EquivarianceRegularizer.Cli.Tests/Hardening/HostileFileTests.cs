using System.Diagnostics;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests.Hardening;

/// <summary>
/// Files a hostile or careless user hands to eqv: a named pipe as the model, and file names carrying control and
/// bidirectional formatting characters, which must not reach any report raw.
/// </summary>
[NonParallelizable]
public class HostileFileTests
{
    private static string Cnn => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", "small_cnn_scripted.pt");
    private static string AuditModel => Path.Combine(Fixtures, "c4_invariant_cnn.pt");

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"eqv-hostile-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestCase("audit")]
    [TestCase("lie")]
    public void NamedPipeAsModel_ExitsTwoAtOnce_WithoutBlocking(string command)
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("named pipes made with mkfifo");
        var dir = TempDir();
        try
        {
            var fifo = Path.Combine(dir, "model.pt");
            using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
            Assert.That(File.Exists(fifo), Is.True);
            string[] args = command == "audit"
                ? new[] { "audit", fifo, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "2" }
                : new[] { "lie", fifo, "--input-shape", "1,12,12", "--samples", "2" };
            var run = Task.Run(() => Eqv(args));
            Assert.That(run.Wait(TimeSpan.FromSeconds(60)), Is.True, "eqv blocked on the named pipe");
            var (exit, _, stderr) = run.Result;
            Assert.That(exit, Is.EqualTo(ExitCodes.Usage));
            Assert.That(stderr, Does.Contain("not a regular file"));
        }
        finally { Directory.Delete(dir, true); }
    }

    // NUL cannot be in a file name; the library tests give it through AuditOptions.ModelName.
    private const string HostileName = "m\u202Etp.\u001B[31mred\nINJECTED LINE\u2066.pt";

    [Test]
    public void HostileFileName_ReachesNoReportRaw_Audit()
    {
        var dir = TempDir();
        try
        {
            var model = Path.Combine(dir, HostileName);
            File.Copy(AuditModel, model);
            string json = Path.Combine(dir, "r.json"), html = Path.Combine(dir, "r.html"), md = Path.Combine(dir, "r.md"), text = Path.Combine(dir, "r.txt");
            var r = Eqv("audit", model, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "2",
                "--json", json, "--html", html, "--markdown", md, "--text", text);
            Assert.That(r.Exit, Is.EqualTo(0), r.Stderr);
            AssertNoRawControls(r.Stdout, "stdout");
            foreach (var path in new[] { json, html, md, text }) AssertNoRawControls(File.ReadAllText(path), Path.GetFileName(path));
            Assert.That(File.ReadAllLines(text).Any(l => l.StartsWith("INJECTED LINE", StringComparison.Ordinal)), Is.False, "the file name added a line to the text report");
            Assert.That(File.ReadAllText(text), Does.Contain("\\u202E").And.Contain("\\n"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void HostileFileName_ReachesNoReportRaw_Lie()
    {
        var dir = TempDir();
        try
        {
            var model = Path.Combine(dir, HostileName);
            File.Copy(Cnn, model);
            string json = Path.Combine(dir, "l.json"), html = Path.Combine(dir, "l.html"), md = Path.Combine(dir, "l.md");
            var r = Eqv("lie", model, "--input-shape", "1,8,8", "--samples", "2", "--generators", "rotate", "--json", json, "--html", html, "--markdown", md);
            Assert.That(r.Exit, Is.EqualTo(0), r.Stderr);
            AssertNoRawControls(r.Stdout, "stdout");
            Assert.That(r.Stdout.Split('\n').Any(l => l.StartsWith("INJECTED LINE", StringComparison.Ordinal)), Is.False);
            foreach (var path in new[] { json, html, md }) AssertNoRawControls(File.ReadAllText(path), Path.GetFileName(path));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static void AssertNoRawControls(string content, string what)
    {
        foreach (char c in content)
        {
            bool bad = (c < ' ' && c != '\n' && c != '\r' && c != '\t') || (c >= '\u007F' && c <= '\u009F')
                || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');
            Assert.That(bad, Is.False, $"{what} holds raw U+{(int)c:X4}");
        }
        Assert.That(content, Does.Not.Contain("INJECTED LINE\n").And.Not.Contain("\nINJECTED LINE"), what);
    }
}
