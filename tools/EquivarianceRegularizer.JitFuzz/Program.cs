using System.Globalization;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.JitFuzz;

// Usage:
// dotnet run -c Release --project tools/EquivarianceRegularizer.JitFuzz -- run --count 1000
//   run    [--count 1000] [--seed 1] [--fixtures DIR] [--timeout-seconds 30] [--safety InProcess|ChildProcessProbe] [--show Loaded|Threw]
//          parent: counts loaded/threw/crashed/hung (exit 1 if any crashed or hung)
//   worker --fixtures DIR --seed S --from I --to J [--safety ...]             child: one BEGIN/END line per variant
//   hostile [--timeout-seconds 120] [--eqv PATH/eqv.dll]   hostile files and names through eqv audit and eqv lie, each in a
//          child process (zip bomb, too many source bytes, FIFO, directory, /dev/zero, control/bidi/newline names);
//          exit 1 if any answer is not the expected exit code and message, a death, a hang or a raw character in an output
// --safety InProcess (default) loads each variant as a plain in-process load would (an abort is counted as Crashed);
// ChildProcessProbe loads it through the model probe, as programs loading untrusted files should.
var options = new Dictionary<string, string>();
for (int i = 1; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
string Get(string key, string fallback) => options.TryGetValue(key, out var v) ? v : fallback;
int GetInt(string key, int fallback) => int.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
string fixtures = Get("fixtures", Path.Combine(AppContext.BaseDirectory, "fixtures", "jit"));
var safety = Enum.Parse<ScriptLoadSafety>(Get("safety", nameof(ScriptLoadSafety.InProcess)), ignoreCase: true);

switch (args.FirstOrDefault())
{
    case "worker":
        return FuzzWorker.Run(fixtures, GetInt("seed", 1), GetInt("from", 0), GetInt("to", 1), safety, GetInt("abort-at", -1), GetInt("hang-at", -1));
    case "run":
        var summary = FuzzRunner.Run(fixtures, GetInt("count", 1000), GetInt("seed", 1), TimeSpan.FromSeconds(GetInt("timeout-seconds", 30)), Console.WriteLine, safety: safety);
        Console.WriteLine(summary.Describe());
        // --show Loaded (or Threw): list every variant with that outcome, to inspect what got through.
        if (options.TryGetValue("show", out var show) && Enum.TryParse<FuzzOutcome>(show, ignoreCase: true, out var shown))
            foreach (var r in summary.Results.Where(r => r.Outcome == shown))
                Console.WriteLine($"  #{r.Index} {r.Outcome} ({r.BaseFixture}, {r.Kind}: {r.Description}) {r.Detail}");
        return summary.Count(FuzzOutcome.Crashed) + summary.Count(FuzzOutcome.Hung) == 0 ? 0 : 1;
    case "hostile":
        string eqv = Get("eqv", FindEqv());
        var hostile = HostileInputs.Run(eqv, fixtures, TimeSpan.FromSeconds(GetInt("timeout-seconds", 120)), Console.WriteLine);
        Console.WriteLine($"{hostile.Count} runs: {hostile.Count(r => r.Passed)} as expected, {hostile.Count(r => !r.Passed)} not; "
            + $"died {hostile.Count(r => r.ExitCode > 128)}, hung {hostile.Count(r => r.TimedOut)}; slowest {hostile.Max(r => r.Seconds):F1} s");
        return hostile.All(r => r.Passed) ? 0 : 1;
    default:
        Console.Error.WriteLine("usage: EquivarianceRegularizer.JitFuzz hostile [--timeout-seconds T] [--eqv PATH] | run [--count N] [--seed S] [--fixtures DIR] [--timeout-seconds T] [--safety InProcess|ChildProcessProbe] | worker --fixtures DIR --seed S --from I --to J");
        return 2;
}


// eqv.dll of this checkout's CLI build (the project reference builds it first).
static string FindEqv()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var bin = Path.Combine(dir.FullName, "src", "EquivarianceRegularizer.Cli", "bin");
        if (!Directory.Exists(bin)) continue;
        var found = Directory.EnumerateFiles(bin, "eqv.dll", SearchOption.AllDirectories).Select(f => new FileInfo(f)).OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault();
        if (found is not null) return found.FullName;
    }
    throw new FileNotFoundException("eqv.dll not found under src/EquivarianceRegularizer.Cli/bin; build the CLI or pass --eqv PATH.");
}
