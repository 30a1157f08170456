using EquivarianceRegularizer.Jit;
using TorchSharp;

namespace EquivarianceRegularizer.JitFuzz;

/// <summary>
/// The child-process side: loads variants [from, to) one after another through <see cref="TorchScriptLoader"/> and
/// writes one line per step to stdout ("BEGIN i", then "END i outcome detail"), flushed, so the parent can tell which
/// variant killed or stalled it. With <see cref="ScriptLoadSafety.InProcess"/> a variant whose code libtorch cannot
/// compile aborts this worker (counted as Crashed); with <see cref="ScriptLoadSafety.ChildProcessProbe"/> the model
/// probe meets the abort instead and the worker sees a <see cref="TorchScriptLoadException"/>.
/// </summary>
internal static class FuzzWorker
{
    public static int Run(string fixturesDirectory, int seed, int from, int to, ScriptLoadSafety safety, int abortAt = -1, int hangAt = -1)
    {
        var generator = CorruptVariantGenerator.FromDirectory(fixturesDirectory, seed);
        var temp = Path.Combine(Path.GetTempPath(), $"ert-jitfuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(temp);
        var stdout = Console.Out;
        try
        {
            for (int i = from; i < to; i++)
            {
                stdout.WriteLine($"BEGIN {i}");
                stdout.Flush();
                // Self-test hooks: prove that the parent counts a dead or stalled worker.
                if (i == abortAt) Environment.FailFast($"fuzz self-test: abort at variant {i}");
                if (i == hangAt) Thread.Sleep(Timeout.Infinite);
                var variant = generator.Make(i);
                var path = Path.Combine(temp, $"variant_{i}.pt");
                File.WriteAllBytes(path, variant.Bytes);
                var shape = generator.Fixtures.First(f => f.Name == variant.BaseFixture).InputShape;
                string outcome = LoadAndRun(path, shape, safety);
                File.Delete(path);
                stdout.WriteLine($"END {i} {outcome}");
                stdout.Flush();
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            stdout.WriteLine($"HANDLES {torch.Tensor.TotalCount}");
            stdout.Flush();
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
        return 0;
    }

    private static string LoadAndRun(string path, long[] inputShape, ScriptLoadSafety safety)
    {
        using var scope = torch.NewDisposeScope();
        torch.jit.ScriptModule<torch.Tensor, torch.Tensor> model;
        try
        {
            model = TorchScriptLoader.Load(path, safety);
        }
        catch (TorchScriptLoadException e)
        {
            return $"{FuzzOutcome.Threw} {nameof(TorchScriptLoadException)}:{e.Reason}";
        }
        catch (Exception e)
        {
            return $"{FuzzOutcome.Threw} {e.GetType().Name}";
        }
        using (model)
        {
            try
            {
                model.eval();
                using var x = torch.randn(inputShape);
                using var y = model.call(x);
                return $"{FuzzOutcome.Loaded} forward-ok";
            }
            catch (Exception e)
            {
                return $"{FuzzOutcome.Loaded} forward-threw-{e.GetType().Name}";
            }
        }
    }
}
