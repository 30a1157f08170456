namespace EquivarianceRegularizer.Cli;

/// <summary>Turns an exception message into the one line the CLI prints on stderr.</summary>
internal static class ErrorText
{
    /// <summary>
    /// The informative line of a message: for TorchScript interpreter errors (a header, a traceback, then the error)
    /// the last non-empty line, e.g. "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x1568 and 288x4)";
    /// otherwise the first line.
    /// </summary>
    public static string OneLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var lines = message.Split('\n', '\r').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0) return string.Empty;
        return lines[0].Contains("TorchScript interpreter", StringComparison.Ordinal) ? lines[^1] : lines[0];
    }
}
