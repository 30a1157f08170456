using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Tests.Jit;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>Hostile archives and names: bounded reads, no blocking on pipes, no raw control characters in reports.</summary>
public class HostileFileTests
{
    private static readonly System.Buffers.SearchValues<char> Raw = System.Buffers.SearchValues.Create("\u202E\u001B\0\u2066\u2067\u0085");

    private static string Scratch(string name)
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "hostile-scratch", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    /// <summary>A TorchScript-shaped archive whose code file inflates to <paramref name="codeBytes"/> bytes of spaces.</summary>
    internal static string ZipBomb(long codeBytes)
    {
        var path = Scratch("bomb.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            void Add(string name, byte[] bytes)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                s.Write(bytes);
            }
            Add("m/data.pkl", Encoding.ASCII.GetBytes("\x80\x02c__torch__\nM\n."));
            Add("m/constants.pkl", new byte[] { 0x80, 0x02, (byte)')', (byte)'.' });
            using var code = zip.CreateEntry("m/code/__torch__.py", CompressionLevel.SmallestSize).Open();
            var chunk = Encoding.ASCII.GetBytes(new string(' ', 1 << 20));
            for (long written = 0; written < codeBytes; written += chunk.Length) code.Write(chunk);
        }
        return path;
    }

    [Test]
    public void Rewrite_OfACodeEntryInflatingPastTheBound_IsRefusedBeforeItIsMaterialised()
    {
        var bomb = ZipBomb(ScriptTapRewriter.MaxSourceEntryBytes + (4 << 20));
        Assert.That(new FileInfo(bomb).Length, Is.LessThan(1 << 20), "a small file");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentException>(() => ScriptTapRewriter.Rewrite(bomb, Scratch("out.pt")));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(e!.Message, Does.Contain("inflates to more than 16 MiB").And.Contain("refused"));
        Assert.That(allocated, Is.LessThan(3L * ScriptTapRewriter.MaxSourceEntryBytes), "what was read stayed near the bound");
    }

    [Test]
    public void NamedPipe_IsRefusedWithoutOpening_ByTheArchiveCheckAndTheRewriter()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("named pipes made with mkfifo");
        var fifo = Scratch("pipe.pt");
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        var verify = Task.Run(() => Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(fifo)));
        var rewrite = Task.Run(() => Assert.Throws<ArgumentException>(() => ScriptTapRewriter.Rewrite(fifo, Scratch("out.pt"))));
        Assert.That(Task.WaitAll(new Task[] { verify, rewrite }, TimeSpan.FromSeconds(30)), Is.True, "a check blocked on the pipe");
        Assert.That(verify.Result!.Message, Does.Contain("not a regular file"));
        Assert.That(rewrite.Result!.Message, Does.Contain("not a regular file"));
    }

    [Test]
    public void EveryAuditReportFormat_EscapesControlAndBidiCharacters_InTheModelName()
    {
        using var model = Cnns.InvariantCnn();
        var report = Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 8, 8 }, Samples = 2, ModelName = "a\u202Eb\u001B[2Jc\0d\ne\u2067f\u0085g" });
        Assert.That(report.Model, Is.EqualTo("a\\u202Eb\\u001B[2Jc\\u0000d\\ne\\u2067f\\u0085g"));
        foreach (var (format, text) in new[]
                 {
                     ("text", ReportText.Render(report)), ("markdown", MarkdownReport.Render(report)),
                     ("html", HtmlReport.Render(report)), ("json", JsonReport.Render(report)),
                 })
        {
            Assert.That(text.AsSpan().IndexOfAny(Raw), Is.EqualTo(-1), format);
            Assert.That(text.Split('\n').Any(l => l.StartsWith("e\\u2067", StringComparison.Ordinal) || l.StartsWith("e\u2067", StringComparison.Ordinal)), Is.False, format);
        }
    }

    /// <summary>
    /// placeholder_layer_names_scripted.pt with its layer names made hostile: U+202E, ESC [ m, U+2066 and a newline, raw in
    /// data.pkl (same UTF-8 length as the placeholders, so no pickle length changes) and as string escapes in the code.
    /// </summary>
    internal static string HostileLayerNames()
    {
        var subs = new (string Placeholder, string Raw, string Escaped)[] { ("-A-", "\u202E", "\u202E"), ("-B-", "\u001B[m", "\\033[m"), ("-C-", "\u2066", "\u2066"), ("-D-", "\nNL", "\\nNL") };
        var path = Scratch("layers.pt");
        using var source = ZipFile.OpenRead(JitTestFiles.Fixture("placeholder_layer_names_scripted.pt"));
        using (var target = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var entry in source.Entries)
            {
                using var read = entry.Open();
                using var bytes = new MemoryStream();
                read.CopyTo(bytes);
                // Latin-1 maps bytes to chars one to one, so the UTF-8 placeholders are replaced byte for byte.
                string text = Encoding.Latin1.GetString(bytes.ToArray());
                bool code = entry.FullName.EndsWith(".py", StringComparison.Ordinal);
                foreach (var (placeholder, raw, escaped) in subs)
                    text = text.Replace(placeholder, Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(code ? escaped : raw)), StringComparison.Ordinal);
                using var write = target.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                write.Write(Encoding.Latin1.GetBytes(text));
            }
        }
        return path;
    }

    [Test]
    public void HostileLayerNames_AreTheNamesNamedModulesGives_AndReachNoReportRaw()
    {
        using var tapped = TappedScriptModule.Load(HostileLayerNames());
        var declared = tapped.Module.named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();
        Assert.That(declared, Does.Contain("conv\u202E").And.Contain("relu\u001B[m").And.Contain("flat\nNL"), "the archive loads with the hostile names");
        var report = Auditor.Audit(new TappedModel(tapped, "layers.pt"), Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 8, 8 }, Samples = 2, Layers = true });
        // The taps read the names from the code's string literals (escapes undone), so every layer is found as called.
        Assert.That(report.Layers.Where(l => l.NotTestableReason == "not called during forward").Select(l => l.Name), Is.Empty);
        Assert.That(report.Layers.Select(l => l.Name), Is.SupersetOf(new[] { "conv\\u202E", "relu\\u001B[m", "pool\\u2066", "flat\\nNL" }));
        foreach (var (format, text) in new[]
                 {
                     ("text", ReportText.Render(report)), ("markdown", MarkdownReport.Render(report)),
                     ("html", HtmlReport.Render(report)), ("json", JsonReport.Render(report)),
                 })
        {
            Assert.That(text.AsSpan().IndexOfAny(Raw), Is.EqualTo(-1), format);
            Assert.That(text.Replace("\r", "", StringComparison.Ordinal).Split('\n').Any(l => l.TrimStart(' ', '|', '-', '>').StartsWith("NL", StringComparison.Ordinal)), Is.False, $"{format}: a layer name's newline started a line");
        }
    }

    [TestCase("plain name.pt", "plain name.pt")]
    [TestCase("tab\there", "tab\\there")]
    [TestCase("\u200Fmark", "\\u200Fmark")]
    [TestCase("del\u007F", "del\\u007F")]
    [TestCase("ünïcödé 名前", "ünïcödé 名前")]
    public void Printable_EscapesOnlyWhatChangesHowTextReads(string name, string expected) =>
        Assert.That(ReportText.Printable(name), Is.EqualTo(expected));
}
