using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Tries TorchScript archives and source in a child process (the model probe), where libtorch may abort without
/// taking the caller down. One child checks many items; after a crash it is started again on the items left.
/// </summary>
internal static class TorchScriptProbe
{
    /// <summary>The default bound on one item (the child's start-up included).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Loads each archive once in the probe (not in this process) and reports, per path in order, null when it loaded
    /// or the exception that a load would meet. The archives are not verified here: call <see cref="TorchScriptArchive.Verify"/> first.
    /// </summary>
    /// <param name="archivePaths">Full paths of .pt files.</param>
    /// <param name="timeout">Bound on each item; <see cref="DefaultTimeout"/> when null. A probe past it is killed.</param>
    /// <exception cref="TorchScriptLoadException">Reason <see cref="TorchScriptLoadFailure.ProbeUnavailable"/>: the probe cannot be found or started.</exception>
    public static IReadOnlyList<TorchScriptLoadException?> ProbeArchives(IReadOnlyList<string> archivePaths, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(archivePaths);
        return Run(archivePaths.Select(p => new Item("load", p, p)).ToList(), timeout ?? DefaultTimeout);
    }

    /// <summary>Compiles <paramref name="source"/> once in the probe; null when it compiled, else the exception an in-process compile would meet.</summary>
    /// <param name="source">TorchScript source, as for <c>torch.jit.compile</c>.</param>
    /// <param name="timeout">Bound on the compile; <see cref="DefaultTimeout"/> when null.</param>
    public static TorchScriptLoadException? ProbeSource(string source, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var file = Path.Combine(Path.GetTempPath(), $"eqv-probe-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, source, new UTF8Encoding(false));
        try
        {
            return Run([new Item("compile", file, null)], timeout ?? DefaultTimeout)[0];
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed record Item(string Verb, string File, string? ReportedPath);

    private static TorchScriptLoadException?[] Run(IReadOnlyList<Item> items, TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The probe's timeout must be positive.");
        var results = new TorchScriptLoadException?[items.Count];
        if (items.Count == 0) return results;
        var probe = ModelProbeLauncher.Locate();
        int next = 0;
        while (next < items.Count) next = RunChild(probe, items, next, timeout, results);
        return results;
    }

    // Runs one child on items [from, end); returns the first index it did not report.
    private static int RunChild(string probe, IReadOnlyList<Item> items, int from, TimeSpan timeout, TorchScriptLoadException?[] results)
    {
        var start = ModelProbeLauncher.StartInfo(probe, items.Skip(from).SelectMany(i => new[] { i.Verb, i.File }));
        using var process = new Process { StartInfo = start };
        var lines = new BlockingCollection<string?>();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => lines.Add(e.Data);
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } d) lock (stderr) { if (stderr.Length < 1 << 20) stderr.AppendLine(d); } };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw ModelProbeLauncher.Unavailable($"'{start.FileName}' could not be started ({e.Message}); is the .NET host installed and on PATH?");
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        int current = from;
        while (true)
        {
            if (!lines.TryTake(out var line, timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                var item = items[current];
                results[current] = new TorchScriptLoadException(TorchScriptLoadFailure.ProbeTimedOut,
                    $"{Subject(item)}: the model probe did not finish within {timeout.TotalSeconds:F0} s and was stopped — the file may make libtorch's loader hang; do not load it in-process.",
                    item.ReportedPath);
                return current + 1;
            }
            if (line is null) break; // stdout closed: the child is exiting
            if (!line.StartsWith("@probe ", StringComparison.Ordinal)) continue;
            using var json = JsonDocument.Parse(line["@probe ".Length..]);
            int index = from + json.RootElement.GetProperty("index").GetInt32();
            if (!json.RootElement.GetProperty("ok").GetBoolean())
                results[index] = LibtorchErrorText.Classify(json.RootElement.GetProperty("error").GetString() ?? "", items[index].ReportedPath);
            current = index + 1;
        }
        if (!process.WaitForExit(timeout)) process.Kill(entireProcessTree: true); // stdout closed but the child lingers
        process.WaitForExit(); // drains stderr
        if (current >= items.Count) return current;
        string err;
        lock (stderr) err = stderr.ToString();
        var failed = items[current];
        if (process.ExitCode == 2 || err.Contains("Could not load file or assembly", StringComparison.Ordinal) || err.Contains("You must install", StringComparison.Ordinal))
            throw ModelProbeLauncher.Unavailable($"the model probe failed to start (exit {process.ExitCode}): {FirstLine(err)}");
        results[current] = LibtorchErrorText.HasAbortText(err)
            ? LibtorchErrorText.Classify(err, failed.ReportedPath)
            : LibtorchErrorText.Crashed(process.ExitCode, err, failed.ReportedPath);
        return current + 1;
    }

    private static string Subject(Item item) => item.ReportedPath is null ? "TorchScript source" : $"'{item.ReportedPath}'";

    private static string FirstLine(string text) => text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "(no output)";
}
