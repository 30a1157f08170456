using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace EquivarianceRegularizer.JitFuzz;

/// <summary>
/// One hostile input handed to <c>eqv</c>: how to make it in a scratch folder, and what eqv must answer. Refused inputs
/// must end with exit 2 and one "eqv: " line holding <see cref="Message"/>; accepted ones (hostile names) must run to a
/// verdict and leave no raw control or bidirectional character, and no extra line, in any output.
/// </summary>
public sealed record HostileCase(string Name, string Description, Func<string, string> Make, string? Message);

/// <summary>What eqv did with one hostile case under one command.</summary>
public sealed record HostileResult(HostileCase Case, string Command, int? ExitCode, bool TimedOut, double Seconds, IReadOnlyList<string> Problems, string FirstStderrLine)
{
    /// <summary>True when eqv answered as the case requires.</summary>
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Hostile files and names for <c>eqv audit</c> and <c>eqv lie</c>, each run in a child process with a time limit:
/// a deflated code entry inflating past the per-entry bound (a zip bomb), many entries whose sum passes the total bound,
/// a named pipe, a directory and a device as the model path, and control, bidirectional and newline characters in the
/// model's file name and in its layer names, flowing into every report format.
/// </summary>
public static class HostileInputs
{
    /// <summary>The per-entry bound of the tap rewriter (ScriptTapRewriter.MaxSourceEntryBytes).</summary>
    public const long EntryBound = 16L << 20;

    /// <summary>The bound on all source entries together (ScriptTapRewriter.MaxSourceTotalBytes).</summary>
    public const long TotalBound = 64L << 20;

    /// <summary>The marker a hostile newline tries to start a line with.</summary>
    public const string InjectedLine = "INJECTED LINE";

    /// <summary>The cases, made from the valid fixture <c>small_cnn_scripted.pt</c> (input [N, 1, 8, 8]) and <c>placeholder_layer_names_scripted.pt</c>.</summary>
    public static IReadOnlyList<HostileCase> Cases(string fixturesDirectory)
    {
        string cnn = Path.Combine(fixturesDirectory, "small_cnn_scripted.pt");
        string placeholders = Path.Combine(fixturesDirectory, "placeholder_layer_names_scripted.pt");
        return new HostileCase[]
        {
            new("zip-bomb", "a code entry deflated to ~1 MB that inflates to 1 GiB",
                dir => WithPadding(cnn, Path.Combine(dir, "bomb.pt"), entries: 1, bytesEach: 1L << 30), "inflates to more than 16 MiB"),
            new("many-entries", "five code entries of 15 MiB each (each under the per-entry bound, 75 MiB in all)",
                dir => WithPadding(cnn, Path.Combine(dir, "many.pt"), entries: 5, bytesEach: 15L << 20), "MiB of source in all"),
            new("named-pipe", "a FIFO (mkfifo) as the model path: opening it for reading blocks until a writer comes",
                dir => Fifo(Path.Combine(dir, "pipe.pt")), "not a regular file"),
            new("directory", "a directory as the model path", dir => Directory.CreateDirectory(Path.Combine(dir, "model.pt")).FullName, "is a directory"),
            new("device", "/dev/zero as the model path: endless zeros", _ => "/dev/zero", "not a regular file"),
            new("hostile-file-name", "a valid model whose file name holds U+202E, ESC, U+2066 and a newline starting a line",
                dir => Copy(cnn, Path.Combine(dir, $"m\u202Etp.\u001B[31mred\n{InjectedLine}\u2066.pt")), null),
            new("hostile-layer-names", "a valid model whose layers are named conv U+202E, relu ESC [m, pool U+2066 and flat newline NL",
                dir => HostileLayerNames(placeholders, Path.Combine(dir, "layers.pt")), null),
        };
    }

    /// <summary>Runs every case under <c>eqv audit</c> and <c>eqv lie</c> (all report formats), <paramref name="timeout"/> each.</summary>
    public static List<HostileResult> Run(string eqvDll, string fixturesDirectory, TimeSpan timeout, Action<string>? log = null)
    {
        var results = new List<HostileResult>();
        foreach (var c in Cases(fixturesDirectory))
        {
            var dir = Path.Combine(Path.GetTempPath(), $"ert-hostile-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            try
            {
                string model = c.Make(dir);
                if (File.Exists(model) && new FileInfo(model) is { } info && (info.Attributes & FileAttributes.Device) == 0 && info.Length > 0)
                    log?.Invoke($"{c.Name}: {c.Description}; the file has {info.Length:N0} bytes");
                else log?.Invoke($"{c.Name}: {c.Description}");
                foreach (var command in new[] { "audit", "lie" })
                {
                    var r = RunOne(eqvDll, c, command, model, dir, timeout);
                    results.Add(r);
                    log?.Invoke($"{c.Name} / eqv {command}: exit {(r.TimedOut ? "timeout" : r.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture))} in {r.Seconds:F1} s, "
                        + (r.Passed ? "ok" : "PROBLEMS: " + string.Join("; ", r.Problems)) + $" | {r.FirstStderrLine}");
                }
            }
            finally { Directory.Delete(dir, recursive: true); }
        }
        return results;
    }

    private static readonly string[] AuditArgs = { "--transform", "rot90" };
    private static readonly string[] LieArgs = { "--generators", "rotate" };

    private static HostileResult RunOne(string eqvDll, HostileCase c, string command, string model, string dir, TimeSpan timeout)
    {
        var reports = Path.Combine(dir, command);
        Directory.CreateDirectory(reports);
        var args = new List<string> { eqvDll, command, model, "--input-shape", "1,8,8", "--samples", "2", "--layers" };
        args.AddRange(command == "audit" ? AuditArgs : LieArgs);
        var files = new List<string>();
        foreach (var (option, ext) in command == "audit"
                     ? new[] { ("--json", "json"), ("--html", "html"), ("--markdown", "md"), ("--text", "txt") }
                     : new[] { ("--json", "json"), ("--html", "html"), ("--markdown", "md") })
        {
            files.Add(Path.Combine(reports, "report." + ext));
            args.Add(option);
            args.Add(files[^1]);
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start eqv.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool finished = process.WaitForExit((int)timeout.TotalMilliseconds);
        if (!finished)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        string err = stderr.Result, @out = stdout.Result;
        var problems = new List<string>();
        int? exit = finished ? process.ExitCode : null;
        if (!finished) problems.Add($"no answer within {timeout.TotalSeconds:F0} s");
        else if (exit is 134 or 137 or 139 || exit > 128) problems.Add($"the process died (exit {exit})");
        // Progress lines and notes go to stderr too; the error line is the one that is neither.
        var errorLines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("eqv: ", StringComparison.Ordinal) && !l.StartsWith("eqv: note:", StringComparison.Ordinal) && !IsProgress(l)).ToList();
        if (err.Contains("   at ", StringComparison.Ordinal) || err.Contains("Unhandled exception", StringComparison.Ordinal)) problems.Add("a stack trace on stderr");
        if (c.Message is { } expected)
        {
            if (finished && exit != 2) problems.Add($"exit {exit}, expected 2");
            if (errorLines.Count != 1) problems.Add($"{errorLines.Count} error lines, expected 1");
            else if (!errorLines[0].Contains(expected, StringComparison.Ordinal)) problems.Add($"the message lacks '{expected}'");
        }
        else
        {
            if (finished && exit is not (0 or 1 or 3)) problems.Add($"exit {exit}, expected a verdict (0, 1 or 3)");
            foreach (var f in files)
            {
                if (!File.Exists(f)) { problems.Add($"{Path.GetFileName(f)} not written"); continue; }
                problems.AddRange(RawProblems(File.ReadAllText(f), Path.GetFileName(f)));
            }
        }
        problems.AddRange(RawProblems(@out, "stdout"));
        problems.AddRange(RawProblems(err, "stderr"));
        return new HostileResult(c, command, exit, !finished, seconds, problems, errorLines.FirstOrDefault() ?? err.Split('\n').FirstOrDefault(l => l.Length > 0) ?? "");
    }

    private static bool IsProgress(string line) =>
        line.EndsWith('…') || line.Contains(": done in ", StringComparison.Ordinal);

    /// <summary>Raw control or bidirectional characters in <paramref name="text"/>, and lines a hostile newline started.</summary>
    public static IEnumerable<string> RawProblems(string text, string where)
    {
        foreach (char ch in text.Distinct())
        {
            bool raw = (ch < ' ' && ch is not ('\n' or '\r' or '\t')) || (ch >= '\u007F' && ch <= '\u009F') || ch is '\u2028' or '\u2029'
                || (ch >= '\u202A' && ch <= '\u202E') || (ch >= '\u2066' && ch <= '\u2069');
            if (raw) yield return $"{where} holds raw U+{(int)ch:X4}";
        }
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimStart(' ', '│', '|', '-', '*', '#', '>');
            if (trimmed.StartsWith(InjectedLine, StringComparison.Ordinal) || trimmed.StartsWith("NL ", StringComparison.Ordinal) || trimmed == "NL" || trimmed.StartsWith("NL<", StringComparison.Ordinal))
            {
                yield return $"{where} has a line begun by a name's newline: '{line.Trim()}'";
                break;
            }
        }
    }

    // The fixture with `entries` extra code files of `bytesEach` bytes each (a comment line of spaces), deflated.
    private static string WithPadding(string fixture, string path, int entries, long bytesEach)
    {
        var original = StoredZip.ReadEntries(File.ReadAllBytes(fixture));
        string root = original[0].Name[..(original[0].Name.IndexOf('/', StringComparison.Ordinal) + 1)];
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (name, data) in original)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            var chunk = Encoding.ASCII.GetBytes("#" + new string(' ', (1 << 20) - 2) + "\n");
            for (int k = 0; k < entries; k++)
            {
                using var s = zip.CreateEntry($"{root}code/__torch__/padding_{k}.py", CompressionLevel.SmallestSize).Open();
                for (long written = 0; written < bytesEach; written += chunk.Length) s.Write(chunk);
            }
        }
        return path;
    }

    private static string Fifo(string path)
    {
        using var mk = Process.Start("mkfifo", path) ?? throw new InvalidOperationException("mkfifo did not start.");
        mk.WaitForExit();
        if (mk.ExitCode != 0) throw new InvalidOperationException($"mkfifo failed (exit {mk.ExitCode}).");
        return path;
    }

    private static string Copy(string from, string to)
    {
        File.Copy(from, to);
        return to;
    }

    // Placeholders of three UTF-8 bytes, replaced by characters of the same length in pickles (so no length prefix
    // changes) and by their TorchScript string escape in the code.
    private static readonly (string Placeholder, string Raw, string Escaped)[] NameCharacters =
    {
        ("-A-", "\u202E", "\u202E"),          // right-to-left override, 3 bytes; the TorchScript lexer takes raw UTF-8 in strings
        ("-B-", "\u001B[m", "\\033[m"),       // ESC [ m: a terminal escape sequence
        ("-C-", "\u2066", "\u2066"),          // left-to-right isolate, 3 bytes
        ("-D-", $"\nNL", "\\nNL"),            // a newline that would start a line "NL" in a report
    };

    /// <summary>The placeholder fixture with its layer names made hostile (CRCs recomputed, entries stored).</summary>
    public static string HostileLayerNames(string placeholderFixture, string path)
    {
        var entries = StoredZip.ReadEntries(File.ReadAllBytes(placeholderFixture));
        var changed = entries.Select(e =>
        {
            bool code = e.Name.EndsWith(".py", StringComparison.Ordinal);
            var data = e.Data;
            foreach (var (placeholder, raw, escaped) in NameCharacters)
                data = Replace(data, Encoding.UTF8.GetBytes(placeholder), Encoding.UTF8.GetBytes(code ? escaped : raw));
            return (e.Name, data);
        }).ToList();
        File.WriteAllBytes(path, StoredZip.Write(changed));
        return path;
    }

    private static byte[] Replace(byte[] data, byte[] from, byte[] to)
    {
        var output = new List<byte>(data.Length);
        for (int i = 0; i < data.Length;)
        {
            if (i + from.Length <= data.Length && data.AsSpan(i, from.Length).SequenceEqual(from))
            {
                output.AddRange(to);
                i += from.Length;
            }
            else output.Add(data[i++]);
        }
        return output.ToArray();
    }
}
