using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests.Hardening;

/// <summary>
/// An <see cref="OutOfMemoryException"/> inside a command (what a hostile file made a reader allocate, before reads were
/// bounded) ends eqv with exit 2 and one line saying what to do, instead of .NET's "Out of memory." and exit 134; the
/// process goes on working afterwards.
/// </summary>
public class OutOfMemoryTests
{
    private static string Cnn => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", "small_cnn_scripted.pt");

    private static readonly string[] LieArgs = { "--generators", "rotate" };
    private static readonly string[] AuditArgs = { "--transform", "rot90" };

    [TestCase("audit")]
    [TestCase("lie")]
    public void OutOfMemoryInACommand_EndsWithExitTwo_AndOneLineSayingWhatToDo(string command)
    {
        string[] args = new[] { command, Cnn, "--input-shape", "1,8,8", "--samples", "2" }.Concat(command == "audit" ? AuditArgs : LieArgs).ToArray();
        int loads = 0;
        ModelFiles.BeforeLoad.Value = _ =>
        {
            loads++;
#pragma warning disable CA2201 // reserved for the runtime: the test stands in for the runtime's own throw
            throw new OutOfMemoryException();
#pragma warning restore CA2201
        };
        (int Exit, string Stdout, string Stderr) failed;
        try { failed = Eqv(args); }
        finally { ModelFiles.BeforeLoad.Value = null; }

        Assert.That(loads, Is.EqualTo(1), "the seam ran inside the command");
        Assert.That(failed.Exit, Is.EqualTo(ExitCodes.Usage));
        Assert.That(failed.Stderr.TrimEnd('\n').Split('\n'), Is.EqualTo(new[]
        {
            "eqv: ran out of memory; use a smaller --input-shape or --samples, or check that the model file is what you expect.",
        }));
        Assert.That(failed.Stdout, Is.Empty);

        // The same process runs the same command to its verdict afterwards.
        var again = Eqv(args);
        Assert.That(again.Exit, Is.AnyOf(ExitCodes.Pass, ExitCodes.Fail, ExitCodes.NeedsAttention), again.Stderr);
        Assert.That(again.Stderr, Is.Empty);
    }
}
