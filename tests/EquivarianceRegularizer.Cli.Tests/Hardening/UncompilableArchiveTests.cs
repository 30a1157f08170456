namespace EquivarianceRegularizer.Cli.Tests.Hardening;

/// <summary>
/// Archives with valid zip structure and CRCs whose TorchScript libtorch 2.10 cannot compile: loaded in-process they
/// abort the process (torch::jit::ErrorReport escapes TorchSharp's native layer); through eqv they are one line and exit 2.
/// </summary>
public class UncompilableArchiveTests
{
    private static string Bad(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", "bad", name);

    [TestCase("audit", "unknown_operator.pt", "unknown operator aten::relu_from_a_newer_pytorch")]
    [TestCase("lie", "unknown_operator.pt", "unknown operator aten::relu_from_a_newer_pytorch")]
    [TestCase("audit", "code_unknown_method.pt", "no_such_method")]
    [TestCase("lie", "code_syntax_error.pt", "cannot read model")]
    public void UncompilableArchive_ExitsTwo_WithOneLineInTheUsersTerms(string command, string file, string expected)
    {
        string[] args = command == "audit"
            ? new[] { "audit", Bad(file), "--input-shape", "1,8,8", "--transform", "rot90", "-q" }
            : new[] { "lie", Bad(file), "--input-shape", "1,8,8", "--generators", "translate-x" };
        var (code, _, stderr) = ZooTests.Eqv(args);
        Assert.That(code, Is.EqualTo(2), stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), stderr);
        Assert.That(lines[0], Does.Contain(expected));
        Assert.That(stderr, Does.Not.Contain("terminate called"));
    }
}
