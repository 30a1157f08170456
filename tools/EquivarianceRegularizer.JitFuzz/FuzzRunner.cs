using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using EquivarianceRegularizer.Jit;

namespace EquivarianceRegularizer.JitFuzz;

/// <summary>What loading one corrupt file did.</summary>
public enum FuzzOutcome
{
    /// <summary>jit.load returned a module (its forward may still have thrown a .NET exception).</summary>
    Loaded,

    /// <summary>jit.load threw a .NET exception.</summary>
    Threw,

    /// <summary>The process died while loading or running it.</summary>
    Crashed,

    /// <summary>It did not finish within the per-variant time limit.</summary>
    Hung,
}

/// <summary>One variant's outcome.</summary>
public sealed record VariantResult(int Index, CorruptionKind Kind, string BaseFixture, string Description, FuzzOutcome Outcome, string Detail);

/// <summary>Counts over a run.</summary>
public sealed class FuzzSummary
{
    /// <summary>Every variant's result, by index.</summary>
    public required IReadOnlyList<VariantResult> Results { get; init; }

    /// <summary>Live tensor handles each worker reported after its last variant (should be 0).</summary>
    public required IReadOnlyList<long> WorkerHandleCounts { get; init; }

    /// <summary>Wall time.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Number of results with this outcome.</summary>
    public int Count(FuzzOutcome outcome) => Results.Count(r => r.Outcome == outcome);

    /// <summary>A table: outcome counts per corruption kind, and the most frequent details.</summary>
    public string Describe()
    {
        var lines = new List<string>
        {
            $"{Results.Count} variants in {Elapsed.TotalSeconds:F1} s: loaded {Count(FuzzOutcome.Loaded)}, threw {Count(FuzzOutcome.Threw)}, crashed {Count(FuzzOutcome.Crashed)}, hung {Count(FuzzOutcome.Hung)}",
            "kind | loaded | threw | crashed | hung",
        };
        foreach (var g in Results.GroupBy(r => r.Kind).OrderBy(g => g.Key))
            lines.Add($"{g.Key} | {g.Count(r => r.Outcome == FuzzOutcome.Loaded)} | {g.Count(r => r.Outcome == FuzzOutcome.Threw)} | {g.Count(r => r.Outcome == FuzzOutcome.Crashed)} | {g.Count(r => r.Outcome == FuzzOutcome.Hung)}");
        lines.Add("details: " + string.Join(", ", Results.GroupBy(r => $"{r.Outcome}:{r.Detail}").OrderByDescending(g => g.Count()).Select(g => $"{g.Key} ×{g.Count()}")));
        foreach (var r in Results.Where(r => r.Outcome is FuzzOutcome.Crashed or FuzzOutcome.Hung))
            lines.Add($"  #{r.Index} {r.Outcome} ({r.BaseFixture}, {r.Kind}: {r.Description}): {r.Detail}");
        lines.Add($"worker live handles at exit: {string.Join(", ", WorkerHandleCounts)}");
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// The parent side: runs variants in a child process (this assembly's "worker" command), one line per variant, and
/// restarts the child after a crash or a hang, so a native abort is counted instead of killing the caller.
/// </summary>
public static class FuzzRunner
{
    /// <summary>Runs variants [0, count) of <paramref name="seed"/>.</summary>
    /// <param name="fixturesDirectory">Directory holding the fixtures of <see cref="CorruptVariantGenerator.DefaultFixtures"/>.</param>
    /// <param name="count">Number of variants (≥ 1).</param>
    /// <param name="seed">Generator seed.</param>
    /// <param name="perVariantTimeout">Bound on one variant's load and forward (the child's start-up gets 60 s more).</param>
    /// <param name="log">Optional progress sink.</param>
    /// <param name="selfTest">Makes the worker abort the process (FailFast) or stall at the given variants, to check that crashes and hangs are counted.</param>
    /// <param name="safety">How the worker loads each variant (<see cref="ScriptLoadSafety.InProcess"/>: what a plain load risks).</param>
    public static FuzzSummary Run(string fixturesDirectory, int count, int seed, TimeSpan perVariantTimeout, Action<string>? log = null,
        (int? AbortAt, int? HangAt) selfTest = default, ScriptLoadSafety safety = ScriptLoadSafety.InProcess)
    {
        ArgumentException.ThrowIfNullOrEmpty(fixturesDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var generator = CorruptVariantGenerator.FromDirectory(fixturesDirectory, seed);
        var clock = Stopwatch.StartNew();
        var results = new VariantResult?[count];
        var handles = new List<long>();
        int next = 0;
        while (next < count)
        {
            next = RunWorker(fixturesDirectory, seed, next, count, perVariantTimeout, generator, results, handles, log, selfTest, safety);
        }
        return new FuzzSummary { Results = results.Select(r => r!).ToList(), WorkerHandleCounts = handles, Elapsed = clock.Elapsed };
    }

    // Runs one child from `from`; returns the first index it did not finish.
    private static int RunWorker(string fixtures, int seed, int from, int to, TimeSpan timeout, CorruptVariantGenerator generator,
        VariantResult?[] results, List<long> handles, Action<string>? log, (int? AbortAt, int? HangAt) selfTest, ScriptLoadSafety safety)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(FuzzRunner).Assembly.Location);
        foreach (var a in new[] { "worker", "--fixtures", fixtures, "--seed", Inv(seed), "--from", Inv(from), "--to", Inv(to), "--safety", safety.ToString() }) start.ArgumentList.Add(a);
        if (selfTest.AbortAt is { } abortAt) { start.ArgumentList.Add("--abort-at"); start.ArgumentList.Add(Inv(abortAt)); }
        if (selfTest.HangAt is { } hangAt) { start.ArgumentList.Add("--hang-at"); start.ArgumentList.Add(Inv(hangAt)); }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the fuzz worker process.");
        // A worker that aborts never runs its own cleanup: remove its scratch folder (FuzzWorker names it by pid) here.
        var workerTemp = Path.Combine(Path.GetTempPath(), $"ert-jitfuzz-{process.Id}");
        process.Exited += (_, _) => { try { if (Directory.Exists(workerTemp)) Directory.Delete(workerTemp, recursive: true); } catch (IOException) { } };
        process.EnableRaisingEvents = true;
        var lines = new BlockingCollection<string?>();
        var stderr = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } d) { stderr.Enqueue(d); while (stderr.Count > 40) stderr.TryDequeue(out string? _); } };
        process.BeginErrorReadLine();
        var reader = new Thread(() =>
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null) lines.Add(line);
            lines.Add(null);
        }) { IsBackground = true };
        reader.Start();

        int current = -1;
        bool first = true;
        while (true)
        {
            var wait = first ? timeout + TimeSpan.FromSeconds(60) : timeout;
            if (!lines.TryTake(out var line, wait))
            {
                // Hung: the child sent nothing within the bound.
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                int hungAt = current >= 0 ? current : from;
                Record(results, generator, hungAt, FuzzOutcome.Hung, $"no result within {wait.TotalSeconds:F0} s", log);
                return hungAt + 1;
            }
            if (line is null)
            {
                process.WaitForExit();
                if (current >= 0)
                {
                    string tail = string.Join(" | ", stderr.TakeLast(3));
                    Record(results, generator, current, FuzzOutcome.Crashed, $"worker exited with code {process.ExitCode}: {tail}", log);
                    return current + 1;
                }
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"Fuzz worker failed (exit {process.ExitCode}) outside any variant: {string.Join(Environment.NewLine, stderr)}");
                return to;
            }
            var parts = line.Split(' ', 4);
            first = false;
            switch (parts[0])
            {
                case "BEGIN":
                    current = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "END":
                    int index = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    Record(results, generator, index, Enum.Parse<FuzzOutcome>(parts[2]), parts.Length > 3 ? parts[3] : "", log);
                    current = -1;
                    break;
                case "HANDLES":
                    handles.Add(long.Parse(parts[1], CultureInfo.InvariantCulture));
                    break;
            }
        }
    }

    private static void Record(VariantResult?[] results, CorruptVariantGenerator generator, int index, FuzzOutcome outcome, string detail, Action<string>? log)
    {
        var v = generator.Make(index);
        results[index] = new VariantResult(index, v.Kind, v.BaseFixture, v.Description, outcome, detail);
        if (outcome is FuzzOutcome.Crashed or FuzzOutcome.Hung || (log is not null && index % 100 == 0))
            log?.Invoke($"#{index} {outcome} ({v.BaseFixture}, {v.Kind}: {v.Description}) {detail}");
    }

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);
}
