using System.Text.Json;
using System.Text.RegularExpressions;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>Issue 12.2: `eqv lie` follows `eqv audit` (exit codes, error prefix, JSON convention, reports, seed default).</summary>
public class CliPatternTests
{
    private static string Cnn => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", "small_cnn_scripted.pt");
    private static string Temp(string ext) => Path.Combine(Path.GetTempPath(), $"eqv-pattern-{Guid.NewGuid():N}.{ext}");

    internal static (int Exit, string Stdout, string Stderr, string Status) EqvWithStatus(params string[] args)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        using var s = new StringWriter();
        int code = Program.Run(args, o, e, s);
        return (code, o.ToString(), e.ToString(), s.ToString());
    }

    [TestCase("--input-shape", "1,x,8")]
    [TestCase("--generators", "warp")]
    [TestCase("--samples", "0")]
    [TestCase("--seed", "-1")]
    public void Lie_BadUsage_ExitsTwo_WithTheAuditsErrorPrefix(string option, string value)
    {
        var args = new List<string> { "lie", Cnn, "--input-shape", "1,8,8" };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange(new[] { option, value });
        var (exit, _, stderr) = Eqv(args.ToArray());
        Assert.That(exit, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
        Assert.That(stderr, Does.StartWith("eqv: ").And.Not.StartWith("eqv lie:"));
    }

    [Test]
    public void Lie_Json_UsesTheAuditsSnakeCaseConvention_AndBothCommandsShareTheSeedDefault()
    {
        string a = Temp("json"), b = Temp("json");
        try
        {
            Assert.That(Eqv("lie", Cnn, "--input-shape", "1,8,8", "--generators", "rotate", "--samples", "3", "--json", a).Exit, Is.EqualTo(ExitCodes.Pass));
            Assert.That(Eqv("lie", Cnn, "--input-shape", "1,8,8", "--generators", "rotate", "--samples", "3", "--seed", "0", "--json", b).Exit, Is.EqualTo(ExitCodes.Pass));
            string text = File.ReadAllText(a);
            foreach (Match key in Regex.Matches(text, "\"([A-Za-z_]+)\":"))
                Assert.That(key.Groups[1].Value, Does.Match("^[a-z_]+$"), "snake_case keys as in the audit JSON");
            using var doc = JsonDocument.Parse(text);
            Assert.That(doc.RootElement.GetProperty("seed").GetUInt64(), Is.EqualTo(0));
            Assert.That(doc.RootElement.GetProperty("aggregation").GetString(), Is.EqualTo("mean_square"));
            Assert.That(doc.RootElement.GetProperty("results")[0].GetProperty("total").GetProperty("standard_error").ValueKind, Is.EqualTo(JsonValueKind.Number));
            string NoTime(string s) => Regex.Replace(s, "\"seconds\": [^,\\n]+", "");
            Assert.That(NoTime(File.ReadAllText(b)), Is.EqualTo(NoTime(text)), "the default seed is 0, as in eqv audit");
            Assert.That(Eqv("audit", "--help").Stdout, Does.Contain("(default 0)"));
        }
        finally { File.Delete(a); File.Delete(b); }
    }

    [Test]
    public void Lie_WritesHtmlAndMarkdownReports_ThatRenderTheResults()
    {
        string html = Temp("html"), md = Temp("md");
        try
        {
            var r = Eqv("lie", Cnn, "--input-shape", "1,12,12", "--generators", "translate-x,rotate", "--samples", "3", "--layers", "--html", html, "--markdown", md);
            Assert.That(r.Exit, Is.EqualTo(ExitCodes.Pass), r.Stderr);
            string page = File.ReadAllText(html);
            Assert.That(page, Does.StartWith("<!DOCTYPE html>").And.Contain("translate-x").And.Contain("Cumulative LEE by layer").And.Contain("<polyline").And.Not.Contain("<script"));
            Assert.That(File.ReadAllText(md), Does.Contain("# Lie-derivative error").And.Contain("| rotate |").And.Contain("pool1"));
            Assert.That(r.Stdout, Does.Contain($"HTML report written to {html}").And.Contain($"Markdown report written to {md}"));
        }
        finally { File.Delete(html); File.Delete(md); }
    }

    [Test]
    public void Lie_AlignCorners_ChangesTheFrame_AndTheReportSaysSo()
    {
        string a = Temp("json"), b = Temp("json");
        try
        {
            Assert.That(Eqv("lie", Cnn, "--input-shape", "1,12,12", "--generators", "translate-x", "--samples", "3", "--json", a).Exit, Is.EqualTo(0));
            var r = Eqv("lie", Cnn, "--input-shape", "1,12,12", "--generators", "translate-x", "--samples", "3", "--align-corners", "--json", b);
            Assert.That(r.Exit, Is.EqualTo(0), r.Stderr);
            Assert.That(r.Stdout, Does.Contain("align_corners = true"));
            using var da = JsonDocument.Parse(File.ReadAllText(a));
            using var db = JsonDocument.Parse(File.ReadAllText(b));
            Assert.That(da.RootElement.GetProperty("align_corners").GetBoolean(), Is.False);
            Assert.That(db.RootElement.GetProperty("align_corners").GetBoolean(), Is.True);
            double va = da.RootElement.GetProperty("results")[0].GetProperty("total").GetProperty("value").GetDouble();
            double vb = db.RootElement.GetProperty("results")[0].GetProperty("total").GetProperty("value").GetDouble();
            Assert.That(vb, Is.Not.EqualTo(va), "(W−1)/2 instead of W/2 pixels per frame unit scales the generator");
        }
        finally { File.Delete(a); File.Delete(b); }
    }

    [Test]
    public void BothCommands_NoteThatATrainModeModelWasSwitchedToEvalMode()
    {
        // The zoo's dropout model is saved in train mode (torch.jit.script keeps the module's training flag).
        string model = Path.Combine(Fixtures, "dropout_cnn.pt");
        var lie = EqvWithStatus("lie", model, "--input-shape", "1,12,12", "--generators", "rotate", "--samples", "2", "-q");
        Assert.That(lie.Exit, Is.EqualTo(0), lie.Stderr);
        Assert.That(lie.Status, Does.Contain("eqv: note: the model was saved in train mode; eqv lie measures it in eval mode"));
        var audit = EqvWithStatus("audit", model, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "2", "-q");
        Assert.That(audit.Status, Does.Contain("eqv: note: the model was saved in train mode; it is audited in eval mode"));
        var asSaved = EqvWithStatus("audit", model, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "2", "-q", "--train-mode");
        Assert.That(asSaved.Status, Does.Not.Contain("note"), "no switch, no note");
    }
}
