using System.Text.Json;
using TorchSharp;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Cli.Tests.Audit;

/// <summary>--inputs, --include-layers and --exclude-layers mean the same on `eqv audit` and `eqv lie`; --memory-budget on audit.</summary>
public class InputsAndLayerOptionsTests
{
    private static string AuditModel(string name) => Path.Combine(Fixtures, name + ".pt");

    private static string LieModel => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", "small_cnn_scripted.pt");

    private static string TempFile(string ext) => Path.Combine(Path.GetTempPath(), $"eqv-inputs-{Guid.NewGuid():N}{ext}");

    private static string SaveInputs(params long[] shape)
    {
        string path = TempFile(".tensor");
        using var g = new Generator(3);
        using var x = rand(shape, generator: g);
        x.Save(path);
        return path;
    }

    private static void AssertUsage((int Exit, string Stdout, string Stderr) r, string expected)
    {
        Assert.That(r.Exit, Is.EqualTo(2), r.Stdout + r.Stderr);
        Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr, Does.StartWith("eqv: ").And.Contain(expected));
    }

    [TestCase("audit")]
    [TestCase("lie")]
    public void Help_ListsTheSameInputAndLayerOptions(string command)
    {
        var r = Eqv(command, "--help");
        Assert.That(r.Exit, Is.EqualTo(0));
        Assert.That(r.Stdout, Does.Contain("--inputs").And.Contain("--include-layers").And.Contain("--exclude-layers"));
        if (command == "audit") Assert.That(r.Stdout, Does.Contain("--memory-budget"));
    }

    [Test]
    public void Audit_InputsFromAFile_TakeTheirShapeFromIt_AndIncludeLayersChoosesRows()
    {
        string inputs = SaveInputs(5, 1, 12, 12), json = TempFile(".json");
        try
        {
            var r = Eqv("audit", AuditModel("plain_cnn"), "--inputs", inputs, "--samples", "3", "--transform", "rot90", "--include-layers", "0", "--json", json);
            Assert.That(r.Exit, Is.EqualTo(1), r.Stdout + r.Stderr);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.That(root.GetProperty("notes").EnumerateArray().Select(n => n.GetString()), Has.Some.Contains("the first 3 samples of the given data"));
            Assert.That(root.GetProperty("end_to_end").GetProperty("samples").GetInt32(), Is.EqualTo(3));
            var names = root.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()).ToList();
            Assert.That(names, Is.EqualTo(new[] { "0" }), "only layer 0 and what is inside it");
        }
        finally { File.Delete(inputs); File.Delete(json); }
    }

    [Test]
    public void Audit_InputsThatDisagreeWithInputShape_AreUsageErrors()
    {
        string inputs = SaveInputs(2, 1, 12, 12);
        try
        {
            AssertUsage(Eqv("audit", AuditModel("plain_cnn"), "--inputs", inputs, "--input-shape", "1,10,10", "--transform", "rot90"), "does not match the inputs");
            AssertUsage(Eqv("audit", AuditModel("plain_cnn"), "--inputs", inputs + ".missing", "--transform", "rot90"), "--inputs: inputs file");
            AssertUsage(Eqv("audit", AuditModel("plain_cnn"), "--transform", "rot90"), "--input-shape is required");
        }
        finally { File.Delete(inputs); }
    }

    [TestCase("lots")]
    [TestCase("2TB")]
    [TestCase("100MB")]
    public void Audit_MemoryBudget_ThatIsNoSizeOrTooSmall_IsAUsageError(string value) =>
        AssertUsage(Eqv("audit", AuditModel("plain_cnn"), "--input-shape", "1,12,12", "--transform", "rot90", "--memory-budget", value), "--memory-budget");

    [Test]
    public void Lie_InputsFromAFile_AndLayerRowsChosenLikeTheAudit()
    {
        string inputs = SaveInputs(4, 1, 8, 8), json = TempFile(".json");
        try
        {
            var r = Eqv("lie", LieModel, "--inputs", inputs, "--generators", "rotate", "--layers", "--exclude-layers", "bn*,relu*", "--json", json);
            Assert.That(r.Exit, Is.EqualTo(0), r.Stdout + r.Stderr);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.That(root.GetProperty("data").GetString(), Is.EqualTo("file"));
            Assert.That(root.GetProperty("samples").GetInt32(), Is.EqualTo(4), "the file's four samples, fewer than the default --samples");
            var rows = root.GetProperty("results")[0].GetProperty("layers").EnumerateArray()
                .Select(l => l.GetProperty("name").GetString()!).ToList();
            Assert.That(rows, Has.Some.EqualTo("conv1"));
            Assert.That(rows, Has.None.StartsWith("bn").And.None.StartsWith("relu"));
            AssertUsage(Eqv("lie", LieModel, "--inputs", inputs, "--data", "fashion-mnist-test"), "use one of them");
            AssertUsage(Eqv("lie", LieModel, "--inputs", inputs, "--input-shape", "1,9,9"), "does not match the inputs");
        }
        finally { File.Delete(inputs); File.Delete(json); }
    }
}
