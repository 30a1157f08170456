using System.Text.Json;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>Reports treat every user-controlled string as text (docs/security.md).</summary>
public class SecurityTests
{
    private const string ScriptName = "<script>alert('layer')</script>";
    private const string ModelName = "<img src=x onerror=alert(1)>&\"model\"";
    private const string TransformName = "<svg onload=alert(2)>";

    // A model whose NaN-producing layer is called <script>…, so its name reaches the layer table, the diagnosis and
    // the plots; the model and transform names are hostile too.
    private static AuditReport HostileReport()
    {
        using var g = new Generator(1);
        using var model = nn.Sequential(
            ("conv", nn.Conv2d(1, 2, 3, padding: 1).Seeded(g)),
            (ScriptName, new Log()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()));
        var transform = new LambdaTransform(TransformName, x => x.flip(-1));
        return Auditor.Audit(model, Symmetry.Invariant(transform),
            new AuditOptions { InputShape = new long[] { 1, 4, 4 }, Samples = 2, Seed = 1, Bounds = (-1, 1), ModelName = ModelName });
    }

    [Test]
    public void HtmlReport_EscapesModelLayerAndTransformNames_ScriptStaysText()
    {
        var report = HostileReport();
        Assert.That(report.Diagnoses.Select(d => d.Location), Does.Contain(ScriptName), "the hostile layer name reaches the diagnoses");
        var html = HtmlReport.Render(report);
        Assert.That(html, Does.Not.Contain("<script"), "no script element may appear");
        Assert.That(html, Does.Not.Contain("<img"));
        Assert.That(html, Does.Not.Contain("<svg onload"));
        Assert.That(html, Does.Not.Contain("onerror=alert(1)>"));
        Assert.That(html, Does.Contain("&lt;script&gt;alert(&#39;layer&#39;)&lt;/script&gt;"));
        Assert.That(html, Does.Contain("&lt;img src=x onerror=alert(1)&gt;&amp;&quot;model&quot;"));
        Assert.That(html, Does.Contain("&lt;svg onload=alert(2)&gt;"));
    }

    [Test]
    public void JsonReport_RoundTripsHostileNames_AsPlainStrings()
    {
        var json = JsonReport.Render(HostileReport());
        Assert.That(json, Does.Not.Contain("<script"), "JSON escapes < too, so it is safe to embed");
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("model").GetString(), Is.EqualTo(ModelName));
        Assert.That(doc.RootElement.GetProperty("transform").GetString(), Is.EqualTo(TransformName));
        var locations = doc.RootElement.GetProperty("diagnoses").EnumerateArray().Select(d => d.GetProperty("location").GetString());
        Assert.That(locations, Does.Contain(ScriptName));
    }

    [Test]
    public void MarkdownReport_DoesNotEmitRawHtmlTags()
    {
        var md = MarkdownReport.Render(HostileReport());
        Assert.That(md, Does.Not.Contain("<script"));
        Assert.That(md, Does.Not.Contain("<img"));
    }
}
