using System.Text.Json;
using EquivarianceRegularizer.Cli;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>
/// Every TorchScript model of the audit zoo (tests/fixtures/audit, made by generate_audit_zoo.py) through
/// `eqv audit`: exactly equivariant models pass, and each failure mode is caught and diagnosed at the right layer.
/// </summary>
public class ZooTests
{
    internal static string Fixtures => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "audit");

    public sealed record Case(string Model, string Transform, string Output, string Shape, string Verdict, int Exit, string? Kind, string? Layer, bool TrainMode, bool Gradient, string? Bounds = null)
    {
        public override string ToString() => $"{Model} {Transform} {Output} [{Shape}]{(TrainMode ? " train" : "")}";
    }

    public static IEnumerable<Case> Cases()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "audit", "zoo.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var model in doc.RootElement.EnumerateObject())
        foreach (var e in model.Value.EnumerateArray())
        {
            string? S(string k) => e.TryGetProperty(k, out var v) ? v.GetString() : null;
            bool B(string k) => e.TryGetProperty(k, out var v) && v.GetBoolean();
            yield return new Case(model.Name, S("transform")!, S("output")!, S("shape")!, S("verdict")!, e.GetProperty("exit").GetInt32(),
                S("kind"), S("layer"), B("train_mode"), B("gradient"), S("bounds"));
        }
    }

    internal static (int Exit, string Stdout, string Stderr) Eqv(params string[] args)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        int code = Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [TestCaseSource(nameof(Cases))]
    public void ZooModel_GetsExpectedVerdict_AndDiagnosis(Case c)
    {
        string json = Path.Combine(Path.GetTempPath(), $"eqv-zoo-{Guid.NewGuid():N}.json");
        var args = new List<string>
        {
            "audit", Path.Combine(Fixtures, c.Model + ".pt"), "--input-shape", c.Shape, "--transform", c.Transform, "--output", c.Output,
            "--samples", "8", "--layers", "--json", json,
        };
        if (c.TrainMode) args.Add("--train-mode");
        if (c.Gradient) args.Add("--gradient");
        if (c.Bounds is not null) args.Add("--bounds=" + c.Bounds);
        try
        {
            var (exit, stdout, stderr) = Eqv(args.ToArray());
            Assert.That(stderr, Is.Empty);
            Assert.That(exit, Is.EqualTo(c.Exit), stdout);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.That(root.GetProperty("verdict").GetString(), Is.EqualTo(c.Verdict), stdout);
            if (c.Kind is not null)
            {
                var kinds = root.GetProperty("diagnoses").EnumerateArray()
                    .Select(d => (Kind: d.GetProperty("kind").GetString(), Location: d.GetProperty("location").GetString())).ToList();
                Assert.That(kinds.Select(k => k.Kind), Does.Contain(c.Kind), stdout);
                if (c.Layer is not null)
                    Assert.That(kinds.Where(k => k.Kind == c.Kind).Select(k => k.Location), Does.Contain(c.Layer), stdout);
            }
            // Every gradient test the zoo asks for is judged: small gradients (saturated_cnn's are ~1e-12) that agree
            // with float64's are the model's, not noise.
            if (c.Gradient)
                Assert.That(root.GetProperty("gradient").GetProperty("judged").GetBoolean(), Is.True, stdout);
            if (c.Verdict == "PASS")
            {
                // Only informational (low) notes may accompany a pass.
                Assert.That(root.GetProperty("diagnoses").EnumerateArray().All(d => d.GetProperty("severity").GetString() == "low"), Is.True, stdout);
                Assert.That(root.GetProperty("first_failing_layer").ValueKind, Is.EqualTo(JsonValueKind.Null));
            }
            // Every layer is tested or carries the reason it was not.
            foreach (var l in root.GetProperty("layers").EnumerateArray())
                Assert.That(l.GetProperty("tested").GetBoolean() || l.TryGetProperty("not_tested_reason", out _), Is.True);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
