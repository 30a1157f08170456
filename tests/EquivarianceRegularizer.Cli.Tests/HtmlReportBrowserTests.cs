using EquivarianceRegularizer.Models;
using System.Buffers.Binary;
using System.IO.Compression;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using Microsoft.Playwright;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>The HTML report in headless Chromium (the system one, through Playwright): it renders, is not blank,
/// makes no request beyond its own file, and a hostile model name stays text.</summary>
public class HtmlReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string HostileName = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>";

    private static string RenderHostileReport()
    {
        using var model = EquivarianceRegularizer.Jit.TappedScriptModule.Load(Path.Combine(ZooTests.Fixtures, "plain_cnn.pt"));
        var report = Auditor.Audit(new TappedModel(model, "plain_cnn.pt"), Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 12, 12 }, Samples = 4, ModelName = HostileName });
        return HtmlReport.Render(report with { LieLayerErrors = new[] { ("0", 0.5), ("2", 0.25), ("5", 0.05) } });
    }

    [Test]
    public void Html_HasNoExternalReferences_AndEscapesUserStrings()
    {
        string html = RenderHostileReport();
        Assert.That(html, Does.Not.Contain("<script"));
        Assert.That(html, Does.Not.Contain("<img"));
        Assert.That(html, Does.Not.Contain("<link"));
        Assert.That(html, Does.Not.Contain("url("));
        Assert.That(html, Does.Not.Contain("http://"));
        Assert.That(html, Does.Not.Contain("https://"));
        Assert.That(html, Does.Contain("&lt;script&gt;"));
        Assert.That(html.Split("<svg").Length - 1, Is.GreaterThanOrEqualTo(3), "layer bars, distribution, spatial map / LEE plots");
    }

    [Test]
    public async Task Html_RendersInHeadlessChromium_NotBlank_NoRequests_ScriptNameStaysText()
    {
        if (!File.Exists(Chromium)) Assert.Ignore("Debian chromium is not installed at /usr/bin/chromium (scripts/setup.sh installs it).");
        string dir = Path.Combine(Path.GetTempPath(), $"eqv-html-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string page = Path.Combine(dir, "report.html");
        string shot = Path.Combine(dir, "report.png");
        await File.WriteAllTextAsync(page, RenderHostileReport());
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 800 } });
            var tab = await context.NewPageAsync();
            var requests = new List<string>();
            tab.Request += (_, r) => requests.Add(r.Url);
            await tab.GotoAsync(new Uri(page).AbsoluteUri);
            await tab.ScreenshotAsync(new PageScreenshotOptions { Path = shot });

            Assert.That(requests.Where(u => !u.StartsWith("file://", StringComparison.Ordinal) && !u.StartsWith("data:", StringComparison.Ordinal)), Is.Empty,
                "the page must not request anything");
            Assert.That(await tab.EvaluateAsync<bool>("() => window.__pwned === undefined"), Is.True, "the model name must not run");
            Assert.That(await tab.EvaluateAsync<int>("() => document.querySelectorAll('script').length"), Is.Zero);
            Assert.That(await tab.EvaluateAsync<string>("() => document.querySelector('h1').textContent"), Does.Contain("<script>window.__pwned=1</script>"));
            Assert.That(await tab.EvaluateAsync<string>("() => document.getElementById('verdict').textContent"), Is.EqualTo("FAIL"));
            Assert.That(await tab.EvaluateAsync<int>("() => [...document.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().width > 50).length"), Is.GreaterThanOrEqualTo(3));

            Assert.That(File.Exists(shot), Is.True);
            var (width, height, distinct) = InspectPng(await File.ReadAllBytesAsync(shot));
            Assert.That((width, height), Is.EqualTo((1000, 800)));
            Assert.That(distinct, Is.GreaterThan(20), "the screenshot must not be blank");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string RenderPassReport()
    {
        using var model = EquivarianceRegularizer.Jit.TappedScriptModule.Load(Path.Combine(ZooTests.Fixtures, "c4_invariant_cnn.pt"));
        var report = Auditor.Audit(new TappedModel(model, "c4_invariant_cnn.pt"), Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 12, 12 }, Samples = 4, Layers = true });
        report = report with { LieLayerErrors = new[] { ("conv1", 0), ("relu1", 0.002), ("pool", 0) } };
        return HtmlReport.Render(report);
    }

    /// <summary>Issue 12.6: every plot has labelled axes and several ticks, no text is clipped, zeros read 0, the page uses its width.</summary>
    [TestCase("hostile-fail")]
    [TestCase("pass")]
    public async Task Html_Plots_HaveAxesAndTicks_NothingClipped_ZerosReadZero_FullWidth(string which)
    {
        if (!File.Exists(Chromium)) Assert.Ignore("Debian chromium is not installed at /usr/bin/chromium (scripts/setup.sh installs it).");
        string html = which == "pass" ? RenderPassReport() : RenderHostileReport();
        Assert.That(html, Does.Not.Contain(">1e-18<").And.Not.Contain(">1e-17<"), "the log axes' floor is labelled 0");
        string dir = Path.Combine(Path.GetTempPath(), $"eqv-html-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string page = Path.Combine(dir, "report.html");
        await File.WriteAllTextAsync(page, html);
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
            var tab = await context.NewPageAsync();
            await tab.GotoAsync(new Uri(page).AbsoluteUri);
            string shot = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"html-report-{which}.png");
            await tab.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            TestContext.AddTestAttachment(shot);

            // Every plot: at least two tick labels on some axis and an axis label (a text of more than one word).
            var perSvg = await tab.EvaluateAsync<int[][]>(@"() => [...document.querySelectorAll('.plots svg')].map(s => {
                const texts = [...s.querySelectorAll('text')].map(t => t.textContent.trim());
                const ticks = texts.filter(t => /^(0|1|1e-?\d+|-?[\d.]+(e[+-]?\d+)?)$/.test(t)).length;
                const labels = texts.filter(t => /[a-z]{3,}/i.test(t) && t.includes(' ') || /^(layer|count|transform)$/.test(t)).length;
                return [ticks, labels];
            })");
            Assert.That(perSvg, Is.Not.Empty);
            foreach (var (ticks, labels) in perSvg.Select(a => (a[0], a[1])))
            {
                Assert.That(ticks, Is.GreaterThanOrEqualTo(2), "more than one tick");
                Assert.That(labels, Is.GreaterThanOrEqualTo(1), "a labelled axis");
            }
            // No text sticks out of its plot (clipped tick labels).
            int clipped = await tab.EvaluateAsync<int>(@"() => [...document.querySelectorAll('svg text')].filter(t => {
                const s = t.ownerSVGElement.getBoundingClientRect(), b = t.getBoundingClientRect();
                return b.left < s.left - 0.5 || b.right > s.right + 0.5 || b.top < s.top - 0.5 || b.bottom > s.bottom + 0.5; }).length");
            Assert.That(clipped, Is.Zero, "clipped text");
            double used = await tab.EvaluateAsync<double>("() => document.querySelector('.plots').getBoundingClientRect().width / window.innerWidth");
            Assert.That(used, Is.GreaterThan(0.9), "the plots use the page width");
            if (which == "pass")
            {
                bool zeroMap = await tab.EvaluateAsync<bool>("() => document.getElementById('zero-map') !== null");
                bool map = html.Contains("Spatial error map: ", StringComparison.Ordinal);
                Assert.That(zeroMap || map, Is.True, "a map, or the sentence that the error is zero everywhere");
                if (zeroMap) Assert.That(await tab.EvaluateAsync<string>("() => document.getElementById('zero-map').textContent"), Does.Contain("zero everywhere"));
                Assert.That(html, Does.Contain(">0<"), "exact zeros (LEE of conv1) read 0");
            }
            else
                Assert.That(html, Does.Contain("column (W)").And.Contain("row (H)"), "the heat map has axes");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Html_ZeroErrorMap_SaysSo_InsteadOfABlankMap()
    {
        string html = RenderPassReport();
        var map = System.Text.RegularExpressions.Regex.Match(html, "Spatial error map: [^<]*max ([^)]*)\\)");
        if (map.Success) Assert.That(map.Groups[1].Value, Is.Not.EqualTo("0"), "a map whose max is 0 is never drawn");
        Assert.That(html.Contains("zero everywhere", StringComparison.Ordinal) || map.Success, Is.True);
    }

    /// <summary>Width, height and the number of distinct byte values of the inflated image data (a blank page has very few).</summary>
    private static (int Width, int Height, int Distinct) InspectPng(byte[] png)
    {
        Assert.That(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), Is.True, "PNG signature");
        int width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4));
        int height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4));
        using var idat = new MemoryStream();
        for (int pos = 8; pos + 8 <= png.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos, 4));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (type == "IDAT") idat.Write(png, pos + 8, len);
            pos += 12 + len;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var seen = new bool[256];
        foreach (byte b in raw.GetBuffer().AsSpan(0, (int)raw.Length)) seen[b] = true;
        return (width, height, seen.Count(s => s));
    }
}
