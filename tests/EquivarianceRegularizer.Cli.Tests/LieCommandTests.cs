using System.Text.Json;
using EquivarianceRegularizer.Cli;

namespace EquivarianceRegularizer.Cli.Tests;

public class LieCommandTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", name);

    private static (int code, string output, string error) Invoke(params string[] args)
    {
        var (code, output, error) = ZooTests.Eqv(new[] { "lie" }.Concat(args).ToArray());
        return (code, output, error);
    }

    [Test]
    public void Lie_OnScriptedCnn_PrintsOneRowPerGenerator_AndWritesJson()
    {
        var json = Path.Combine(Path.GetTempPath(), $"eqv-lie-{Guid.NewGuid():N}.json");
        try
        {
            var (code, output, error) = Invoke(Fixture("small_cnn_scripted.pt"), "--input-shape", "1,16,16", "--generators", "translate-x,rotate",
                "--samples", "6", "--layers", "--json", json);
            Assert.That(code, Is.EqualTo(ExitCodes.Pass), error);
            Assert.That(output, Does.Contain("translate-x").And.Contain("rotate").And.Contain("pool1"));
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var results = doc.RootElement.GetProperty("results");
            Assert.That(results.GetArrayLength(), Is.EqualTo(2));
            // Ten module calls plus the model's own functional code: the rows add up to the total.
            var rows = results[0].GetProperty("layers").EnumerateArray().ToList();
            Assert.That(rows.Count(r => !r.GetProperty("is_functional").GetBoolean()), Is.EqualTo(10));
            Assert.That(rows.Count(r => r.GetProperty("is_functional").GetBoolean()), Is.EqualTo(1));
            Assert.That(results[1].GetProperty("total").GetProperty("value").GetDouble(), Is.GreaterThan(0));
            Assert.That(results[0].GetProperty("sum_relative_residual").GetDouble(), Is.LessThan(1e-4));
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Test]
    public void EqvLie_IsWiredIntoTheTool()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(new[] { "lie", Fixture("small_cnn_scripted.pt"), "--input-shape", "1,8,8", "--generators", "rotate", "--samples", "2" }, output, error);
        Assert.That(code, Is.EqualTo(ExitCodes.Pass), error.ToString());
        Assert.That(output.ToString(), Does.Contain("rotate"));
        Assert.That(Program.Run(new[] { "lie", Fixture("small_cnn_scripted.pt") }, new StringWriter(), new StringWriter()), Is.EqualTo(ExitCodes.Usage),
            "--input-shape is required");
    }

    [Test]
    public void Lie_WithoutLayers_UsesTheSoftmaxConventionWhenAsked()
    {
        var (code, output, error) = Invoke(Fixture("small_cnn_scripted.pt"), "--input-shape", "1,12,12", "--generators", "scale",
            "--samples", "3", "--aggregation", "mean-abs-softmax");
        Assert.That(code, Is.EqualTo(ExitCodes.Pass), error);
        Assert.That(output, Does.Contain("MeanAbsoluteSoftmax").And.Contain("scale"));
    }

    [TestCase("3,32", "--input-shape must be C,H,W")]
    [TestCase("1,x,28", "--input-shape must be C,H,W")]
    public void Lie_WithBadInputShape_IsAUsageError(string shape, string message)
    {
        var (code, _, error) = Invoke(Fixture("small_cnn_scripted.pt"), "--input-shape", shape);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void Lie_WithUnknownGenerator_NamesTheKnownOnes()
    {
        var (code, _, error) = Invoke(Fixture("small_cnn_scripted.pt"), "--input-shape", "1,8,8", "--generators", "translate-x,warp");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("warp").And.Contain("rotate"));
    }

    [Test]
    public void Lie_OnMissingModel_ExitsTwo_WithTheReason()
    {
        var (code, _, error) = Invoke("/nonexistent/model.pt", "--input-shape", "1,8,8");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), "an unreadable model is bad input, as in eqv audit");
        Assert.That(error, Does.Contain("not found"));
    }

    [Test]
    public void Lie_WhenTheLeeIsNotFinite_ExitsCouldNotMeasure_NotUsage()
    {
        // The model runs on the input (the shape is right), but its Lie derivative is NaN: nothing the user asked was wrong.
        var nan = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "audit", "nan_layer.pt");
        var (code, _, error) = Invoke(nan, "--input-shape", "1,12,12", "--generators", "translate-x", "--samples", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.CouldNotMeasure), error);
        Assert.That(error, Does.StartWith("eqv: could not measure: ").And.Contain("NaN"));
    }

    [Test]
    public void Lie_OnAModelWhoseOutputsAreAllZero_SaysTheLeeIsVacuous()
    {
        var zero = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "real", "zero_output_scripted.pt");
        var (code, output, error) = Invoke(zero, "--input-shape", "3,8,8", "--generators", "translate-x", "--samples", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Pass), error);
        Assert.That(output, Does.Contain("translate-x").And.Contain("vacuous"));
    }

    [Test]
    public void Lie_LayersOnLraspp_DenseOutput_ReportsTheOutputBorderApart()
    {
        var json = Path.Combine(Path.GetTempPath(), $"eqv-lie-{Guid.NewGuid():N}.json");
        try
        {
            var lraspp = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "real", "lraspp_scripted.pt");
            var (code, output, error) = Invoke(lraspp, "--input-shape", "3,16,16", "--generators", "translate-x", "--samples", "1", "--layers", "--json", json);
            Assert.That(code, Is.EqualTo(ExitCodes.Pass), error);
            Assert.That(output, Does.Contain("interior of the output"));
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var total = doc.RootElement.GetProperty("results")[0].GetProperty("total");
            Assert.That(total.GetProperty("output_border_width").GetInt32(), Is.EqualTo(2));
            Assert.That(total.GetProperty("output_border_value").GetDouble(), Is.GreaterThan(0));
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Test]
    public void LieHelp_SaysLayersAttributesEveryModuleCall()
    {
        var (_, output, _) = Invoke("--help");
        Assert.That(output, Does.Contain("every module call").And.Not.Contain("top-level children"));
    }

    [Test]
    public void Lie_LayersOfNestedModelWithFunctionalCode_AreAttributedToEveryModuleCall()
    {
        // Issue 11 item 1: a forward that is not a plain chain (nested modules, a child called twice, functional code
        // between calls) is attributed module by module, functional rows included, and the rows add up to the total.
        var json = Path.Combine(Path.GetTempPath(), $"eqv-lie-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, error) = Invoke(Fixture("nested_scripted.pt"), "--input-shape", "1,8,8", "--layers", "--samples", "2", "--generators", "translate-x", "--json", json);
            Assert.That(code, Is.EqualTo(ExitCodes.Pass), error);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var result = doc.RootElement.GetProperty("results")[0];
            var rows = result.GetProperty("layers").EnumerateArray().ToList();
            Assert.That(rows.Select(r => r.GetProperty("name").GetString()), Does.Contain("features.2.conv").And.Contain("(functional)"));
            Assert.That(rows.Select(r => r.GetProperty("name").GetString()), Does.Contain("act").And.Contain("act#2"), "a child called twice gets a row per call, named as the audit names it");
            Assert.That(result.GetProperty("sum_relative_residual").GetDouble(), Is.LessThan(1e-4));
        }
        finally
        {
            File.Delete(json);
        }
    }
}
