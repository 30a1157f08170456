using Spectre.Console;

namespace EquivarianceRegularizer.Cli;

/// <summary>
/// Where a command writes: results on standard output (<see cref="Console"/>, <see cref="Stdout"/>), errors on
/// <see cref="Stderr"/> (one line, "eqv: …"), progress and notes on <see cref="Status"/> (standard error in the tool;
/// a progress bar when that is a terminal, plain lines when it is piped).
/// </summary>
internal sealed class CliContext
{
    public CliContext(IAnsiConsole console, TextWriter stdout, TextWriter stderr, TextWriter status, IAnsiConsole? statusTerminal)
    {
        Console = console;
        Stdout = stdout;
        Stderr = stderr;
        Status = status;
        StatusTerminal = statusTerminal;
    }

    /// <summary>Results, as a Spectre console (tables, colours on a terminal).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Results, as plain text.</summary>
    public TextWriter Stdout { get; }

    /// <summary>Error lines.</summary>
    public TextWriter Stderr { get; }

    /// <summary>Progress and notes.</summary>
    public TextWriter Status { get; }

    /// <summary>The status stream as an interactive terminal, or null when it is piped (then progress is plain lines).</summary>
    public IAnsiConsole? StatusTerminal { get; }

    /// <summary>Prints the one error line of bad usage or unreadable input and returns <see cref="ExitCodes.Usage"/>.</summary>
    public int Usage(string message)
    {
        Stderr.WriteLine("eqv: " + EquivarianceRegularizer.Audit.Reports.ReportText.Printable(ErrorText.OneLine(message)));
        return ExitCodes.Usage;
    }

    /// <summary>Prints the one error line of a measurement that could not be made and returns <see cref="ExitCodes.CouldNotMeasure"/>.</summary>
    public int CouldNotMeasure(string message)
    {
        Stderr.WriteLine("eqv: could not measure: " + ErrorText.OneLine(message));
        return ExitCodes.CouldNotMeasure;
    }

    /// <summary>Prints a note ("eqv: note: …") with the progress lines; notes are not silenced by --quiet.</summary>
    public void Note(string message) => Status.WriteLine("eqv: note: " + message);

    /// <summary>Progress for one run; <paramref name="quiet"/> silences it.</summary>
    public StageProgress Progress(bool quiet) => new(quiet ? TextWriter.Null : Status, quiet ? null : StatusTerminal);
}
