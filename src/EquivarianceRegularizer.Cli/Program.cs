using System.CommandLine;
using Spectre.Console;

namespace EquivarianceRegularizer.Cli;

/// <summary>Entry point of the eqv tool.</summary>
public static class Program
{
    /// <summary>Runs the command line on the process console.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>
    /// Runs the command line with explicit writers (tests use this). Exit codes: 0 PASS, 1 FAIL, 3 NEEDS_ATTENTION,
    /// 2 bad usage or unreadable input (one line on stderr, no stack trace).
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        bool redirected = !ReferenceEquals(stdout, Console.Out) || Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) console.Profile.Width = 160;
        var root = new RootCommand("eqv: audit models for equivariance.");
        root.Add(AuditCommand.Create(console, stderr));
        foreach (var extra in ExtraCommands()) root.Add(extra);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0) return AuditCommand.Usage(stderr, parse.Errors[0].Message);
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never a stack trace: one line saying what went wrong.
            return AuditCommand.Usage(stderr, $"{e.GetType().Name}: {e.Message}");
        }
    }

    // Other commands contributed by other parts of the tool (e.g. `eqv lie`).
    private static Command[] ExtraCommands() => new[] { LieCommand.Create() };
}
