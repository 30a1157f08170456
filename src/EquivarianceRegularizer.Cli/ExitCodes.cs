namespace EquivarianceRegularizer.Cli;

/// <summary>The exit codes of every eqv command (one table; `eqv --help` and docs/audit.md print it).</summary>
public static class ExitCodes
{
    /// <summary>PASS (audit), or the measurement finished (lie).</summary>
    public const int Pass = 0;
    /// <summary>FAIL: the audit found the symmetry broken.</summary>
    public const int Fail = 1;
    /// <summary>Bad usage or unreadable input: an option, the model file, or an input the model cannot take.</summary>
    public const int Usage = 2;
    /// <summary>NEEDS_ATTENTION: the audit found approximate equivariance or something to look at.</summary>
    public const int NeedsAttention = 3;
    /// <summary>Could not measure: the model runs on the input, but the measurement cannot be made (libtorch cannot
    /// differentiate an operation the way it needs, the derivative is not finite, memory ran out).</summary>
    public const int CouldNotMeasure = 4;

    /// <summary>The table as the help text shows it.</summary>
    public static string Table { get; } =
        "Exit codes: 0 PASS (audit) or measured (lie); 1 FAIL; 3 NEEDS_ATTENTION; 2 bad usage or unreadable input "
        + "(one line on stderr starting \"eqv: \"); 4 could not measure (the model runs, but the measurement cannot be made; one line on stderr).";
}
