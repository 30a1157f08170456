using System.CommandLine;
using EquivarianceRegularizer.Cli.Commands;
using Spectre.Console;

namespace EquivarianceRegularizer.Cli;

/// <summary>Entry point of the eqv tool.</summary>
public static class Program
{
    private static readonly string[] CommandNames = { "audit", "lie" };
    private static readonly string[] HelpArgs = { "--help" };

    /// <summary>Runs the command line on the process console (progress and notes on standard error).</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, Console.Error);

    /// <summary>
    /// Runs the command line with explicit writers (tests use this); progress and notes are dropped. Exit codes as in
    /// <see cref="ExitCodes"/>.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, TextWriter.Null);

    /// <summary>Runs the command line; <paramref name="status"/> receives progress and notes (plain lines unless it is the process's terminal).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextWriter status)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(status);
        bool redirected = !ReferenceEquals(stdout, Console.Out) || Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) console.Profile.Width = 160;
        IAnsiConsole? statusTerminal = ReferenceEquals(status, Console.Error) && !Console.IsErrorRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
            : null;
        var cli = new CliContext(console, stdout, stderr, status, statusTerminal);

        var root = new RootCommand("eqv: audit TorchScript models for equivariance (eqv audit) and measure their Lie-derivative error (eqv lie).\n"
            + "Run 'eqv COMMAND --help' for a command's options and transforms.\n\n" + ExitCodes.Table);
        root.Add(AuditCommand.Create(cli));
        root.Add(LieCommand.Create(cli));
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        if (args.Length == 0)
        {
            // Bare `eqv`: the help, and exit 2 (no command was run).
            root.Parse(HelpArgs).Invoke(config);
            return ExitCodes.Usage;
        }
        if (!args[0].StartsWith('-') && !CommandNames.Contains(args[0], StringComparer.Ordinal))
            return cli.Usage($"unknown command '{args[0]}'; the commands are {string.Join(" and ", CommandNames)} (eqv --help).");
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0) return cli.Usage(parse.Errors[0].Message);
        try
        {
            return parse.Invoke(config);
        }
        catch (OutOfMemoryException)
        {
            // .NET ends a process whose OutOfMemoryException nobody catches ("Out of memory.", exit 134); the managed
            // allocation that failed is released by now, so one line can still be written.
            return cli.Usage("ran out of memory; use a smaller --input-shape or --samples, or check that the model file is what you expect.");
        }
        catch (Exception e)
        {
            // Never a stack trace: one line saying what went wrong.
            return cli.Usage(e.Message);
        }
    }
}
