using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests.Hardening;

/// <summary>
/// A model that cannot run on the requested input shape fails with one line on stderr that carries the model's own
/// error (not the TorchScript interpreter's header or its traceback).
/// </summary>
public class CliModelFailureTests
{
    // plain_cnn.pt ends in a Linear sized for 12×12 inputs; 28×28 inputs make its matmul fail inside TorchScript.
    private static string Model => Path.Combine(Fixtures, "plain_cnn.pt");

    [TestCase("audit", "--transform", "rot90", 2)]
    [TestCase("lie", "--generators", "rotate", 2)]
    public void ModelThatFailsOnTheShape_PrintsOneLine_WithTheModelsError(string command, string option, string value, int exit)
    {
        var (code, _, stderr) = Eqv(new[] { command, Model, "--input-shape", "1,28,28", option, value, "--samples", "4" });
        Assert.That(code, Is.EqualTo(exit));
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), stderr);
        Assert.That(lines[0], Does.Contain("shapes cannot be multiplied"));
        Assert.That(stderr, Does.Not.Contain("Traceback"));
    }
}
