using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Turns libtorch's error text (a caught exception's message, or the "what(): ..." an abort printed on the probe's
/// stderr) into a <see cref="TorchScriptLoadException"/> with one line in the user's terms.
/// </summary>
internal static partial class LibtorchErrorText
{
    private static readonly Lazy<string> Version = new(ReadLibtorchVersion);

    /// <summary>"libtorch 2.10": the version this process runs, as TorchSharp reports it.</summary>
    public static string Libtorch => "libtorch " + Version.Value;

    /// <summary>Classifies <paramref name="text"/>.</summary>
    /// <param name="text">libtorch's text; may hold a C++ stack trace and the abort banner, which are dropped.</param>
    /// <param name="path">The archive's path, or null for TorchScript source.</param>
    /// <param name="inner">The caught exception, if any.</param>
    public static TorchScriptLoadException Classify(string text, string? path, Exception? inner = null)
    {
        var body = Clean(text);
        var headline = Headline(body);
        var where = CodeLocation().Match(body) is { Success: true } m ? $" ({m.Groups[1].Value}, line {m.Groups[2].Value})" : "";
        string subject = path is null ? "TorchScript source" : $"'{path}'";

        if (UnknownOperator().Match(body) is { Success: true } op)
            return new(TorchScriptLoadFailure.UnknownOperator,
                $"{subject}: unknown operator {op.Groups[1].Value}{where} — the model may come from a newer PyTorch than the {Libtorch} this build uses; export it with a PyTorch of that version or older.",
                path, body, inner);
        if (TooNewVersion().Match(body) is { Success: true } v)
            return new(TorchScriptLoadFailure.UnsupportedVersion,
                $"{subject}: archive format version {v.Groups[1].Value}, but the {Libtorch} this build uses reads versions up to {v.Groups[2].Value} — the model comes from a newer PyTorch; export it with a PyTorch of that version or older.",
                path, body, inner);
        if (where.Length > 0)
            return new(TorchScriptLoadFailure.CodeDoesNotCompile,
                $"{subject}: {Libtorch} cannot compile the model's code: {headline}{where} — the code is damaged or uses TorchScript this libtorch does not support.",
                path, body, inner);
        return new(TorchScriptLoadFailure.LoadFailed, $"{subject}: {Libtorch} cannot load it: {headline}.", path, body, inner);
    }

    /// <summary>The error for a probe that died without libtorch's text (a signal, or an abort of another kind).</summary>
    public static TorchScriptLoadException Crashed(int exitCode, string stderrTail, string? path)
    {
        string signal = exitCode switch { 134 => " (SIGABRT)", 139 => " (SIGSEGV)", 137 => " (SIGKILL: out of memory?)", _ => "" };
        string subject = path is null ? "TorchScript source" : $"'{path}'";
        var tail = Headline(Clean(stderrTail));
        return new(TorchScriptLoadFailure.LoaderCrashed,
            $"{subject} crashed {Libtorch}'s loader (the model probe exited with code {exitCode}{signal}{(tail.Length > 0 ? ": " + tail : "")}) — the file is damaged or hostile; do not load it in-process.",
            path, stderrTail);
    }

    /// <summary>Whether stderr holds the text of an uncaught C++ exception (std::terminate's banner).</summary>
    public static bool HasAbortText(string stderr) => stderr.Contains("what():", StringComparison.Ordinal);

    // Keeps the exception text itself: after "what():" when std::terminate printed it, without C++ stack frames.
    private static string Clean(string text)
    {
        int what = text.IndexOf("what():", StringComparison.Ordinal);
        if (what >= 0) text = text[(what + "what():".Length)..];
        var kept = new List<string>();
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (raw.StartsWith("frame #", StringComparison.Ordinal) || raw.StartsWith("Exception raised from", StringComparison.Ordinal)) break;
            kept.Add(raw.TrimEnd());
        }
        return string.Join('\n', kept).Trim();
    }

    private static string Headline(string body)
    {
        var first = body.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        first = EnforcePrefix().Replace(first, "");
        return first.TrimEnd(':', '.', ' ');
    }

    private static string ReadLibtorchVersion()
    {
        try
        {
            var parts = TorchSharp.torch.__version__.Split('.');
            return parts.Length >= 2 ? $"{parts[0]}.{parts[1]}" : TorchSharp.torch.__version__;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or InvalidOperationException)
        {
            return "2.10";
        }
    }

    [GeneratedRegex(@"Unknown builtin op: ([A-Za-z0-9_:.]+?)\.?(\s|$)")]
    private static partial Regex UnknownOperator();

    [GeneratedRegex(@"version (\d+), but the maximum supported version for reading is (\d+)")]
    private static partial Regex TooNewVersion();

    [GeneratedRegex("File \"([^\"]+)\", line (\\d+)")]
    private static partial Regex CodeLocation();

    [GeneratedRegex(@"^\[enforce fail at [^\]]*\]\s*\.?\s*")]
    private static partial Regex EnforcePrefix();
}
