using System.Text.Json;
using EquivarianceRegularizer.ModelProbe;
using TorchSharp;

// EquivarianceRegularizer.ModelProbe: tries each TorchScript input in this throw-away process and reports it.
//
//   dotnet exec --depsfile APP.deps.json --runtimeconfig APP.runtimeconfig.json EquivarianceRegularizer.ModelProbe.dll
//       load ARCHIVE.pt  [compile SOURCE.py] ...
//
// One line on stdout per item, in order, flushed at once, prefixed "@probe " (anything else on stdout is noise):
//   @probe {"index":0,"ok":true}
//   @probe {"index":1,"ok":false,"error":"<the exception's message>"}
// Exit code: 0 every item loaded or compiled; 1 some item threw a catchable error; 2 bad command line. An item whose
// load aborts the process (libtorch's torch::jit::ErrorReport escapes TorchSharp's native layer) ends it with
// SIGABRT (exit 134) and libtorch's "what(): ..." text on stderr; the caller reads which item it was from the
// lines already written, and may start the probe again on the items after it.
if (args.Length == 0 || args.Length % 2 != 0)
{
    Console.Error.WriteLine("usage: EquivarianceRegularizer.ModelProbe (load ARCHIVE.pt | compile SOURCE.py)...");
    return 2;
}
for (int i = 0; i < args.Length; i += 2)
{
    if (args[i] is not ("load" or "compile"))
    {
        Console.Error.WriteLine($"argument {i + 1}: expected 'load' or 'compile', got '{args[i]}'");
        return 2;
    }
}

var stdout = Console.Out;
bool allOk = true;
for (int i = 0; i < args.Length; i += 2)
{
    int index = i / 2;
    string? error = null;
    try
    {
        if (args[i] == "load")
        {
            using var module = torch.jit.load(args[i + 1]);
        }
        else
        {
            using var unit = torch.jit.compile(File.ReadAllText(args[i + 1]));
        }
    }
    catch (Exception e)
    {
        error = e.Message;
    }
    allOk &= error is null;
    var line = error is null
        ? JsonSerializer.Serialize(new ProbeLine(index, true, null), ProbeJson.Default.ProbeLine)
        : JsonSerializer.Serialize(new ProbeLine(index, false, error), ProbeJson.Default.ProbeLine);
    stdout.WriteLine("@probe " + line);
    stdout.Flush();
}
return allOk ? 0 : 1;
