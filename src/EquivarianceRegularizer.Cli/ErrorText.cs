using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Cli;

/// <summary>Turns an exception message into the one line, in the user's terms, that the CLI prints on stderr.</summary>
internal static partial class ErrorText
{
    /// <summary>
    /// The informative line of a message: for TorchScript interpreter errors (a header, a traceback, then the error)
    /// the last non-empty line, e.g. "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x1568 and 288x4)";
    /// otherwise the first line. .NET and libtorch internals are removed (see <see cref="ForUser"/>).
    /// </summary>
    public static string OneLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var lines = message.Split('\n', '\r').Select(l => l.Trim()).Where(l => l.Length > 0 && l != ".").ToArray();
        if (lines.Length == 0) return string.Empty;
        string line = lines[0].Contains("TorchScript interpreter", StringComparison.Ordinal) ? lines[^1] : lines[0];
        return ForUser(line);
    }

    /// <summary>
    /// Removes what only a .NET or libtorch developer can read: " (Parameter 'x')", a leading "Name: " of an options
    /// property, .NET type names in System.CommandLine's parse errors, "[enforce fail at file.cpp:N]" and leading
    /// punctuation left by a message that began on an empty line.
    /// </summary>
    public static string ForUser(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = ParameterSuffix().Replace(line, "");
        line = EnforceFail().Replace(line, "");
        line = ParseError().Replace(line, m => $"{m.Groups["option"].Value} must be {Kind(m.Groups["type"].Value)}, got '{m.Groups["value"].Value}'.");
        line = OptionsPropertyPrefix().Replace(line, "");
        line = line.TrimStart('.', ' ', ':');
        return line.Trim();
    }

    private static string Kind(string dotnetType) => dotnetType switch
    {
        "System.Int32" => "a whole number (at most 2147483647)",
        "System.Int64" => "a whole number",
        "System.UInt64" or "System.UInt32" => "a whole number, 0 or more",
        "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        _ => "a valid value",
    };

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)")]
    private static partial Regex ParameterSuffix();

    [GeneratedRegex(@"\[enforce fail at [^\]]*\]\s*\.?\s*")]
    private static partial Regex EnforceFail();

    [GeneratedRegex(@"Cannot parse argument '(?<value>[^']*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.?")]
    private static partial Regex ParseError();

    // "InputShape: a tensor of shape ..." (AuditOptions' property names) → "a tensor of shape ...".
    [GeneratedRegex(@"^(InputShape|Samples|Bounds|Seed|DType|BatchSize): ")]
    private static partial Regex OptionsPropertyPrefix();
}
