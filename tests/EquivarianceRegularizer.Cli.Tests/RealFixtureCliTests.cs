using System.Collections.Concurrent;
using System.Text.Json;
using EquivarianceRegularizer.Cli;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>
/// torchvision's own architectures (tests/fixtures/real, made by make_real_fixtures.py with PyTorch 1.13: resnet18,
/// mobilenet_v2, a ViT, LRASPP, an attention model calling attn(h, h, h), a dict-returning backbone, traced and
/// scripted, with out-of-place twins) through the eqv command line as a user runs it: `eqv audit --layers --gradient`
/// and `eqv lie --layers`, on small random inputs (224×224 runs are benchmarks). Each command runs once per fixture and
/// argument list; the tests that compare twins read the same runs.
/// </summary>
public class RealFixtureCliTests
{
    /// <summary>A fixture, the output action its audit uses, and the layer its audit must name first.</summary>
    public sealed record RealCase(string Model, bool Dense, string Culprit)
    {
        /// <summary>Inputs of 16×16 keep the runs short; torchvision's ViT checks its image size (64).</summary>
        public int Size => Model.StartsWith("vit", StringComparison.Ordinal) ? 64 : 16;

        public override string ToString() => Model;
    }

    // The outputs and culprits RealAuditTests asserts on the library: classifiers are invariant under quarter turns,
    // dense and feature outputs equivariant; random-init weights break the symmetry at the first convolution.
    private static readonly RealCase[] Cases =
    {
        new("resnet18_traced", false, "conv1"),
        new("resnet18_scripted", false, "conv1"),
        new("resnet18_outofplace_traced", false, "conv1"),
        new("resnet18_outofplace_scripted", false, "conv1"),
        new("mobilenet_v2_traced", false, "features.0.0"),
        new("mobilenet_v2_scripted", false, "features.0.0"),
        new("mobilenet_v2_outofplace_scripted", false, "features.0.0"),
        new("lraspp_traced", true, "m.backbone.0.0"),
        new("lraspp_scripted", true, "m.backbone.0.0"),
        new("attention_qkv_traced", true, "stem"),
        new("attention_qkv_scripted", true, "stem"),
        new("dict_backbone_traced", true, "backbone.stem.0"),
        new("dict_backbone_scripted", true, "backbone.stem.0"),
        // Random patch weights do not turn with the image.
        new("vit_traced", false, "conv_proj"),
        new("vit_scripted", false, "conv_proj"),
    };

    public static IEnumerable<RealCase> AllCases() => Cases;

    private static RealCase Case(string model) => Cases.Single(c => c.Model == model);

    private static string Archive(string model) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "real", model + ".pt");

    private sealed record Run(int Exit, string Stdout, string Stderr, string? Json)
    {
        public JsonDocument Document()
        {
            Assert.That(Json, Is.Not.Null, "no JSON report was written: " + Stderr);
            return JsonDocument.Parse(Json!);
        }
    }

    private static readonly ConcurrentDictionary<string, Lazy<Run>> Runs = new(StringComparer.Ordinal);

    // Runs eqv once per argument list in this test run (with --json into a temporary file) and keeps what it wrote.
    private static Run Eqv(params string[] args) => Runs.GetOrAdd(string.Join('\u001f', args), _ => new Lazy<Run>(() =>
    {
        var json = Path.Combine(Path.GetTempPath(), $"eqv-real-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, stdout, stderr) = ZooTests.Eqv(args.Concat(new[] { "--json", json }).ToArray());
            return new Run(exit, stdout, stderr, File.Exists(json) ? File.ReadAllText(json) : null);
        }
        finally
        {
            File.Delete(json);
        }
    })).Value;

    // Two samples (the library tests' count): the layer table, the gradient test and its float64 check.
    private static Run Audit(RealCase c) => Eqv("audit", Archive(c.Model), "--input-shape", $"3,{c.Size},{c.Size}", "--transform", "rot90",
        "--output", c.Dense ? "equivariant" : "invariant", "--samples", "2", "--layers", "--gradient");

    // One sample, as in RealAttributionTests.
    private static Run Lie(RealCase c) =>
        Eqv("lie", Archive(c.Model), "--input-shape", $"3,{c.Size},{c.Size}", "--generators", "translate-x", "--samples", "1", "--layers");

    [TestCaseSource(nameof(AllCases))]
    public void Audit_LayersAndGradient_FailsQuarterTurns_AtTheFirstConvolution(RealCase c)
    {
        var run = Audit(c);
        Assert.That(run.Stderr, Is.Empty);
        Assert.That(run.Exit, Is.EqualTo(ExitCodes.Fail), run.Stdout);
        using var doc = run.Document();
        var root = doc.RootElement;
        Assert.That(root.GetProperty("verdict").GetString(), Is.EqualTo("FAIL"), run.Stdout);
        Assert.That(root.GetProperty("first_failing_layer").GetString(), Is.EqualTo(c.Culprit), run.Stdout);
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        var culprit = layers.Single(l => l.GetProperty("name").GetString() == c.Culprit);
        Assert.That(culprit.GetProperty("verdict").GetString(), Is.EqualTo("FAIL"));
        Assert.That(culprit.GetProperty("tested").GetBoolean(), Is.True);
        Assert.That(layers.Count(l => l.GetProperty("tested").GetBoolean()), Is.GreaterThan(1));
        foreach (var l in layers)
            Assert.That(l.GetProperty("tested").GetBoolean() || l.TryGetProperty("not_tested_reason", out _), Is.True, "every layer is tested or says why not");
        var gradient = root.GetProperty("gradient");
        Assert.That(gradient.GetProperty("judged").GetBoolean(), Is.True, gradient.ToString());
        Assert.That(gradient.GetProperty("max_rel").GetDouble(), Is.GreaterThan(0));
        Assert.That(root.GetProperty("diagnoses").EnumerateArray().Select(d => d.GetProperty("location").GetString()), Has.Some.Contains(c.Culprit),
            "the culprit is diagnosed");
        if (c.Model.StartsWith("vit", StringComparison.Ordinal))
        {
            // The encoder's blocks see 1 class token + 8×8 patch tokens: they are tested under the image's quarter turns
            // carried to the patch grid, and encoder (which adds the position embedding) breaks the symmetry in its own code.
            var block = layers.Single(l => l.GetProperty("name").GetString() == "encoder.layers.encoder_layer_0");
            Assert.That(block.GetProperty("input_action").GetString(), Does.Contain("8×8 token grid"));
            var encoder = layers.Single(l => l.GetProperty("name").GetString() == "encoder");
            Assert.That(encoder.GetProperty("breaks_in_own_code").GetBoolean(), Is.True);
        }
    }

    [TestCase("resnet18_traced", "resnet18_outofplace_traced")]
    [TestCase("resnet18_scripted", "resnet18_outofplace_scripted")]
    [TestCase("mobilenet_v2_scripted", "mobilenet_v2_outofplace_scripted")]
    [TestCase("mobilenet_v2_traced", "mobilenet_v2_outofplace_scripted")]
    public void Audit_InPlaceOps_GiveTheLayerTableOfTheirOutOfPlaceTwin(string inPlace, string outOfPlace)
    {
        using var a = Audit(Case(inPlace)).Document();
        using var b = Audit(Case(outOfPlace)).Document();
        var rowsB = b.RootElement.GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        int compared = 0;
        foreach (var l in a.RootElement.GetProperty("layers").EnumerateArray().Where(l => l.GetProperty("tested").GetBoolean()))
        {
            string name = l.GetProperty("name").GetString()!;
            if (!rowsB.TryGetValue(name, out var t)) continue;
            Assert.That(l.GetProperty("verdict").GetString(), Is.EqualTo(t.GetProperty("verdict").GetString()), name);
            double expected = t.GetProperty("max_rel").GetDouble();
            Assert.That(l.GetProperty("max_rel").GetDouble(), Is.EqualTo(expected).Within(1e-4 + 1e-3 * expected), name);
            compared++;
        }
        Assert.That(compared, Is.GreaterThan(20));
        Assert.That(a.RootElement.GetProperty("first_failing_layer").GetString(), Is.EqualTo(b.RootElement.GetProperty("first_failing_layer").GetString()));
        double gradient = b.RootElement.GetProperty("gradient").GetProperty("max_rel").GetDouble();
        Assert.That(a.RootElement.GetProperty("gradient").GetProperty("max_rel").GetDouble(), Is.EqualTo(gradient).Within(1e-3 * gradient));
    }

    [TestCaseSource(nameof(AllCases))]
    public void Lie_Layers_RowsAddUpToTheTotal_AndSayHowTheyWerePushed(RealCase c)
    {
        var run = Lie(c);
        Assert.That(run.Exit, Is.EqualTo(ExitCodes.Pass), run.Stderr);
        using var doc = run.Document();
        var result = doc.RootElement.GetProperty("results").EnumerateArray().Single();
        Assert.That(result.GetProperty("transform").GetString(), Is.EqualTo("translate-x"));
        var total = result.GetProperty("total");
        Assert.That(total.GetProperty("value").GetDouble(), Is.GreaterThan(0));
        var rows = result.GetProperty("layers").EnumerateArray().ToList();
        Assert.That(rows.Count(r => !r.GetProperty("is_functional").GetBoolean()), Is.GreaterThan(2), "module calls have rows");
        Assert.That(rows.Select(r => r.GetProperty("name").GetString()), Has.Some.StartsWith(c.Culprit.Split('.')[0]));
        Assert.That(result.GetProperty("sum_relative_residual").GetDouble(), Is.LessThan(1e-3), "rows add up to the end-to-end Lie derivative");
        Assert.That(rows.Sum(r => r.GetProperty("projection_share").GetDouble()), Is.EqualTo(1).Within(1e-2));
        Assert.That(rows.Sum(r => r.GetProperty("share").GetDouble()), Is.EqualTo(1).Within(1e-6));
        Assert.That(run.Stdout, Does.Contain("sum residual"), "the text output carries the layer table");
        // A scripted nn.MultiheadAttention runs a fused kernel without a forward-mode derivative: the pushes fall back to
        // double backward and the output says so. Everything else (LRASPP's hardsigmoid included) goes by forward mode.
        // The JSON report carries the attribution's notes too.
        var notes = doc.RootElement.GetProperty("notes").EnumerateArray().Select(n => n.GetString()).ToList();
        if (c.Model.StartsWith("vit", StringComparison.Ordinal))
        {
            // The 1 class token + 8×8 patch tokens carry the flow on the patch grid: the encoder's layers and the position
            // embedding (encoder's own code) get their share; the per-token Linears commute with moving the grid.
            Assert.That(notes, Has.Some.StartsWith("Along translate-x: Token tensors [batch, 65, features] carry translate-x on the 8×8 token grid (1 token fixed)"));
            double Lee(string name) => rows.Single(r => r.GetProperty("name").GetString() == name).GetProperty("lee").GetDouble();
            double largest = rows.Max(r => r.GetProperty("lee").GetDouble());
            Assert.That(Lee("encoder.layers.encoder_layer_0.ln_1"), Is.GreaterThan(1e-6 * largest));
            Assert.That(Lee("encoder.(functional)"), Is.GreaterThan(1e-6 * largest));
            Assert.That(Lee("encoder.layers.encoder_layer_0.mlp.0"), Is.LessThan(1e-9 * largest));
        }
        if (c.Model is "vit_scripted" or "attention_qkv_scripted")
        {
            Assert.That(run.Stdout, Does.Contain("pushed to the output by double backward"));
            Assert.That(notes, Has.Some.StartsWith("Along translate-x: Contributions were pushed to the output by double backward"));
        }
        else
        {
            Assert.That(run.Stdout, Does.Not.Contain("double backward"));
            Assert.That(notes, Has.None.Contains("double backward"));
        }
    }

    [TestCase("resnet18_traced", "resnet18_outofplace_traced")]
    [TestCase("resnet18_scripted", "resnet18_outofplace_scripted")]
    [TestCase("mobilenet_v2_scripted", "mobilenet_v2_outofplace_scripted")]
    [TestCase("mobilenet_v2_traced", "mobilenet_v2_outofplace_scripted")]
    public void Lie_Layers_InPlaceOps_GiveTheAttributionOfTheirOutOfPlaceTwin(string inPlace, string outOfPlace)
    {
        using var a = Lie(Case(inPlace)).Document();
        using var b = Lie(Case(outOfPlace)).Document();
        var ra = a.RootElement.GetProperty("results")[0];
        var rb = b.RootElement.GetProperty("results")[0];
        var rowsA = ra.GetProperty("layers").EnumerateArray().ToList();
        var rowsB = rb.GetProperty("layers").EnumerateArray().ToList();
        Assert.That(rowsA.Select(r => r.GetProperty("name").GetString()), Is.EqualTo(rowsB.Select(r => r.GetProperty("name").GetString())), "same rows, same names");
        double totalB = rb.GetProperty("total").GetProperty("value").GetDouble();
        Assert.That(ra.GetProperty("total").GetProperty("value").GetDouble(), Is.EqualTo(totalB).Within(1e-5 * totalB));
        // The tolerance of RealAttributionTests: every row within 1e-4 of the largest row.
        double scale = rowsB.Max(r => r.GetProperty("lee").GetDouble());
        for (int i = 0; i < rowsA.Count; i++)
        {
            string name = rowsA[i].GetProperty("name").GetString()!;
            Assert.That(rowsA[i].GetProperty("lee").GetDouble(), Is.EqualTo(rowsB[i].GetProperty("lee").GetDouble()).Within(1e-4 * scale), name);
            Assert.That(rowsA[i].GetProperty("projection_share").GetDouble(), Is.EqualTo(rowsB[i].GetProperty("projection_share").GetDouble()).Within(1e-4), name);
        }
    }

    [Test]
    public void AllZeroModel_AuditNeedsAttention_AndLieSaysItsZeroIsVacuous()
    {
        var audit = Eqv("audit", Archive("zero_output_scripted"), "--input-shape", "3,16,16", "--transform", "rot90", "--output", "equivariant",
            "--samples", "2", "--layers", "--gradient");
        Assert.That(audit.Exit, Is.EqualTo(ExitCodes.NeedsAttention), audit.Stdout + audit.Stderr);
        using (var doc = audit.Document())
        {
            var root = doc.RootElement;
            Assert.That(root.GetProperty("verdict").GetString(), Is.EqualTo("NEEDS_ATTENTION"));
            Assert.That(root.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()), Has.Some.Contains("all zero"));
            Assert.That(root.GetProperty("first_failing_layer").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(root.GetProperty("gradient").GetProperty("judged").GetBoolean(), Is.False);
            Assert.That(root.GetProperty("gradient").GetProperty("not_judged_reason").GetString(), Does.Contain("exactly zero"));
        }
        var lie = Eqv("lie", Archive("zero_output_scripted"), "--input-shape", "3,16,16", "--generators", "translate-x", "--samples", "1", "--layers");
        Assert.That(lie.Exit, Is.EqualTo(ExitCodes.Pass), lie.Stderr);
        using var lieDoc = lie.Document();
        Assert.That(lieDoc.RootElement.GetProperty("results")[0].GetProperty("total").GetProperty("value").GetDouble(), Is.Zero);
        Assert.That(lieDoc.RootElement.GetProperty("notes").EnumerateArray().Select(n => n.GetString()), Has.Some.Contains("vacuous"));
    }

    [Test]
    public void Lie_Layers_UnderASmallMemoryBudget_TakesTheSamplesInChunks_AndMeasuresTheSame()
    {
        // The dict backbone's calls at 128×128 hold 9.9 MiB of activations per sample, and attribution about 12 times
        // that: 4 samples (475 MiB) never fit one chunk of the smallest budget (256 MiB), whatever the process holds.
        string[] args = { "lie", Archive("dict_backbone_scripted"), "--input-shape", "3,128,128", "--generators", "translate-x", "--samples", "4", "--layers" };
        var budgeted = Eqv(args.Concat(new[] { "--memory-budget", "256MB" }).ToArray());
        // The default budget (2 GB) counts what the test host already holds: a budget far above it never chunks.
        var free = Eqv(args.Concat(new[] { "--memory-budget", "16GB" }).ToArray());
        Assert.That(budgeted.Exit, Is.EqualTo(ExitCodes.Pass), budgeted.Stderr);
        Assert.That(free.Exit, Is.EqualTo(ExitCodes.Pass), free.Stderr);
        Assert.That(budgeted.Stdout, Does.Contain("Samples were attributed in chunks of at most").And.Contain("memory budget 256 MiB"));
        Assert.That(free.Stdout, Does.Not.Contain("chunks of at most"));
        using var a = budgeted.Document();
        using var b = free.Document();
        Assert.That(a.RootElement.GetProperty("notes").EnumerateArray().Select(n => n.GetString()),
            Has.Some.StartsWith("Along translate-x: Samples were attributed in chunks of at most"));
        var ra = a.RootElement.GetProperty("results")[0];
        var rb = b.RootElement.GetProperty("results")[0];
        double total = rb.GetProperty("total").GetProperty("value").GetDouble();
        Assert.That(ra.GetProperty("total").GetProperty("value").GetDouble(), Is.EqualTo(total).Within(1e-5 * total));
        var rowsA = ra.GetProperty("layers").EnumerateArray().ToList();
        var rowsB = rb.GetProperty("layers").EnumerateArray().ToList();
        Assert.That(rowsA.Select(r => r.GetProperty("name").GetString()), Is.EqualTo(rowsB.Select(r => r.GetProperty("name").GetString())));
        double scale = rowsB.Max(r => r.GetProperty("lee").GetDouble());
        for (int i = 0; i < rowsA.Count; i++)
            Assert.That(rowsA[i].GetProperty("lee").GetDouble(), Is.EqualTo(rowsB[i].GetProperty("lee").GetDouble()).Within(1e-5 * scale), rowsA[i].GetProperty("name").GetString());
    }

    [Test]
    public void Lie_Layers_FileReports_CarryTheAttributionNotes_OncePerNote()
    {
        // The scripted attention model's pushes go by double backward along both transforms: the note is written once,
        // naming both.
        var markdown = Path.Combine(Path.GetTempPath(), $"eqv-real-{Guid.NewGuid():N}.md");
        try
        {
            var run = Eqv("lie", Archive("attention_qkv_scripted"), "--input-shape", "3,16,16", "--generators", "translate-x,rotate", "--samples", "1",
                "--layers", "--markdown", markdown);
            Assert.That(run.Exit, Is.EqualTo(ExitCodes.Pass), run.Stderr);
            using var doc = run.Document();
            var notes = doc.RootElement.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).ToList();
            Assert.That(notes.Count(n => n.Contains("double backward", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(notes, Has.Some.StartsWith("Along translate-x, rotate: Contributions were pushed to the output by double backward"));
            Assert.That(File.ReadAllText(markdown), Does.Contain("- Along translate-x, rotate: Contributions were pushed"));
        }
        finally
        {
            File.Delete(markdown);
        }
    }

    [Test]
    public void Lie_Layers_AMemoryBudgetBelowTheMinimum_IsAUsageError()
    {
        var (exit, _, stderr) = ZooTests.Eqv("lie", Archive("resnet18_scripted"), "--input-shape", "3,16,16", "--layers", "--memory-budget", "100MB");
        Assert.That(exit, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr, Does.StartWith("eqv: ").And.Contain("--memory-budget").And.Contain("256MB"));
    }
}
