using EquivarianceRegularizer.Torch;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.JitFuzz;

/// <summary>
/// The child-process side: loads variants [from, to) one after another and writes one line per step to stdout
/// ("BEGIN i", then "END i outcome detail"), flushed, so the parent can tell which variant killed or stalled it.
/// </summary>
internal static class FuzzWorker
{
    public static int Run(string fixturesDirectory, int seed, int from, int to, int abortAt = -1, int hangAt = -1)
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
                string outcome = LoadAndRun(path, shape);
                File.Delete(path);
                stdout.WriteLine($"END {i} {outcome}");
                stdout.Flush();
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            stdout.WriteLine($"HANDLES {Tensor.LiveHandleCount}");
            stdout.Flush();
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
        return 0;
    }

    private static string LoadAndRun(string path, long[] inputShape)
    {
        using var scope = NewDisposeScope();
        ScriptModule model;
        try
        {
            model = jit.load(path);
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
                using var x = randn(inputShape);
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
