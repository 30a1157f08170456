using System.Text.Json;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>
/// Models written the way people write them (tests/fixtures/modelclasses, made by generate_model_classes.py
/// with PyTorch 1.13) through `eqv audit`: verdict, culprit layer and diagnosis as expectations.json says.
/// </summary>
public class ModelClassesTests
{
    private static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "modelclasses");

    public static IEnumerable<TestCaseData> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "modelclasses", "expectations.json")));
        foreach (var model in doc.RootElement.EnumerateObject())
        foreach (var e in model.Value.EnumerateArray())
            yield return new TestCaseData(model.Name, e.GetRawText()).SetName($"{model.Name} {e.GetProperty("transform").GetString()}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ModelClass_GetsTheExpectedVerdict_CulpritAndDiagnosis(string model, string expectationJson)
    {
        using var expectation = JsonDocument.Parse(expectationJson);
        var e = expectation.RootElement;
        string? S(string k) => e.TryGetProperty(k, out var v) ? v.GetString() : null;
        string json = Path.Combine(Path.GetTempPath(), $"eqv-class-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, stdout, _) = ZooTests.Eqv("audit", Path.Combine(Folder, model + ".pt"), "--input-shape", S("shape")!, "--transform", S("transform")!,
                "--output", S("output")!, "--samples", "8", "--json", json, "-q");
            Assert.That(exit, Is.EqualTo(e.GetProperty("exit").GetInt32()), stdout);
            var text = File.ReadAllText(json);
            Assert.That(text, Does.Not.Contain("(Parameter '"), "every reason is in the user's terms");
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            Assert.That(root.GetProperty("verdict").GetString(), Is.EqualTo(S("verdict")), stdout);
            var kinds = root.GetProperty("diagnoses").EnumerateArray().Select(d => d.GetProperty("kind").GetString()).ToList();
            if (S("kind") is { } kind) Assert.That(kinds, Does.Contain(kind), stdout);
            if (S("layer") is { } layer) Assert.That(root.GetProperty("first_failing_layer").GetString(), Is.EqualTo(layer), stdout);
            if (e.TryGetProperty("no_faults", out var noFaults) && noFaults.GetBoolean())
                Assert.That(kinds, Is.Empty, "an exactly invariant model gets no faults");
            if (e.TryGetProperty("by_design", out var byDesign) && byDesign.GetBoolean())
            {
                Assert.That(kinds, Is.Empty, "a model symmetrized as a whole gets no layer faults");
                var reasons = root.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).ToList();
                Assert.That(reasons, Has.Some.Contains("not individually equivariant by design"), stdout);
            }
        }
        finally
        {
            File.Delete(json);
        }
    }
}
