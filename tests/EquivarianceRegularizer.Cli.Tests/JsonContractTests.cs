using System.Text.Json;

namespace EquivarianceRegularizer.Cli.Tests;

/// <summary>
/// The JSON reports' keys are a contract with users' CI scripts: every key path that the reports of these runs write
/// (tests/fixtures/json/*-keys.txt, one path a line, "[]" for array items) stays as it is. The runs reach the optional
/// objects: interpolation baseline, gradient, random-init comparison, float64 re-run, containers, per-layer LEE.
/// </summary>
public class JsonContractTests
{
    private static string Fixture(string folder, string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", folder, name);

    private static readonly string[][] AuditRuns =
    {
        new[] { "audit", "small_cnn_scripted.pt", "-t", "rotate", "--input-shape", "1,16,16", "-n", "8", "--layers", "--gradient", "--random-init" },
        new[] { "audit", "nested_scripted.pt", "-t", "rot90", "--input-shape", "1,16,16", "-n", "8", "--layers", "--dtype", "float64" },
        new[] { "audit", "small_cnn_traced.pt", "-t", "flip-h", "--input-shape", "1,16,16", "-n", "8" },
    };

    private static readonly string[][] LieRuns =
    {
        new[] { "lie", "small_cnn_scripted.pt", "--input-shape", "1,16,16", "--generators", "translate-x,rotate", "--samples", "6", "--layers" },
        new[] { "lie", "nested_scripted.pt", "--input-shape", "1,16,16", "--generators", "scale", "--samples", "4" },
    };

    [TestCase("audit")]
    [TestCase("lie")]
    public void ReportKeys_AreTheContractsKeys(string command)
    {
        var written = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var run in command == "audit" ? AuditRuns : LieRuns)
        {
            var json = Path.Combine(Path.GetTempPath(), $"eqv-contract-{Guid.NewGuid():N}.json");
            try
            {
                var args = run.Select((a, i) => i == 1 ? Fixture("jit", a) : a).Concat(new[] { "--json", json, "-q" }).ToArray();
                var (_, _, stderr) = ZooTests.Eqv(args);
                Assert.That(File.Exists(json), Is.True, stderr);
                using var doc = JsonDocument.Parse(File.ReadAllText(json));
                Collect(doc.RootElement, "", written);
            }
            finally
            {
                File.Delete(json);
            }
        }
        var contract = File.ReadAllLines(Fixture("json", command + "-keys.txt")).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);
        Assert.That(written.Except(contract), Is.Empty, "keys written that the contract does not list");
        Assert.That(contract.Except(written), Is.Empty, "keys of the contract no longer written");
    }

    private static void Collect(JsonElement e, string path, ISet<string> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject())
            {
                into.Add(path + "." + p.Name);
                Collect(p.Value, path + "." + p.Name, into);
            }
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray()) Collect(item, path + "[]", into);
    }
}
