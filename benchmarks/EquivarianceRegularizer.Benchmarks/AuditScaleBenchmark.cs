using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// The audit at a real model's size: <c>eqv audit MODEL --layers --gradient</c> on N samples, run as a child process
/// exactly as a user runs it, against one bare forward+backward of the same N samples in this process (½‖f(x)‖²,
/// gradient with respect to the input and the parameters, libtorch's default threads in both), alternating: a
/// forward+backward, the audit, a forward+backward, …. It reports the audit's peak resident memory (the child's
/// <c>ru_maxrss</c>) and its wall and CPU time as multiples of the forward+backward's (median of the runs bracketing
/// the audits). Make the model first (the archive is not committed):
/// <code>
/// /usr/bin/python3 benchmarks/export_resnet18.py benchmarks/models/resnet18.pt
/// dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --audit-scale benchmarks/models/resnet18.pt [samples] [audits] [extra eqv options]
/// </code>
/// </summary>
internal static partial class AuditScaleBenchmark
{
    public const string Flag = "--audit-scale";

    public static void Run(string model, int samples, int audits, string[] extra)
    {
        string eqv = FindEqv();
        var shape = new long[] { samples, 3, 224, 224 };
        Console.WriteLine($"audit-scale: {Path.GetFileName(model)}, {samples} samples of 3×224×224, {audits} audit run(s), libtorch threads {get_num_threads()}, {Environment.ProcessorCount} cores");
        var fwdBwd = new List<(double Wall, double Cpu)>();
        var runs = new List<(double Wall, double Cpu, long PeakKb, int Exit)>();
        using (var module = jit.load<Tensor, Tensor>(model))
        {
            module.eval();
            using var gen = new Generator(0);
            using var x = rand(shape, generator: gen);
            ForwardBackward(module, x); // warm-up: first-call allocations and libtorch's lazy initialisation
            fwdBwd.Add(ForwardBackward(module, x));
            for (int a = 0; a < audits; a++)
            {
                ReleaseHeap();
                runs.Add(Audit(eqv, model, samples, extra));
                fwdBwd.Add(ForwardBackward(module, x));
            }
        }
        foreach (var (w, c) in fwdBwd) Console.WriteLine(Invariant($"forward+backward ({samples} samples): wall {w:0.00} s, CPU {c:0.00} s"));
        double wall = Median(fwdBwd.Select(f => f.Wall)), cpu = Median(fwdBwd.Select(f => f.Cpu));
        foreach (var r in runs)
        {
            Console.WriteLine(Invariant($"audit: exit {r.Exit}, wall {r.Wall:0.0} s = {r.Wall / wall:0.0}× forward+backward, CPU {r.Cpu:0.0} s = {r.Cpu / cpu:0.0}×, peak RSS {r.PeakKb / 1024.0 / 1024.0:0.00} GiB ({r.PeakKb / 1e6:0.00} GB)"));
        }
    }

    /// <summary>One forward and backward of ½‖f(x)‖², gradients for the input and every parameter; (wall, process CPU) seconds.</summary>
    private static (double Wall, double Cpu) ForwardBackward(jit.ScriptModule<Tensor, Tensor> module, Tensor x)
    {
        using var scope = NewDisposeScope();
        double cpu0 = ProcessCpuSeconds();
        var clock = Stopwatch.StartNew();
        var xin = x.detach().requires_grad_();
        var y = module.call(xin);
        var loss = (y * y).sum() * 0.5;
        loss.backward();
        _ = xin.grad!.sum().item<float>();
        double w = clock.Elapsed.TotalSeconds, c = ProcessCpuSeconds() - cpu0;
        foreach (var p in module.parameters()) p.grad = null;
        return (w, c);
    }

    private static (double Wall, double Cpu, long PeakKb, int Exit) Audit(string eqv, string model, int samples, string[] extra)
    {
        string json = Path.Combine(Path.GetTempPath(), $"eqv-audit-scale-{Environment.ProcessId}.json");
        var info = new ProcessStartInfo(eqv) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "audit", model, "--input-shape", "3,224,224", "-t", "rot90", "--layers", "--gradient", "-n", samples.ToString(CultureInfo.InvariantCulture), "--quiet", "--json", json })
            info.ArgumentList.Add(a);
        foreach (var a in extra) info.ArgumentList.Add(a);
        Console.WriteLine("running: " + eqv + " " + string.Join(" ", info.ArgumentList));
        var before = Children();
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info) ?? throw new InvalidOperationException("could not start " + eqv);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // The resident memory over time, sampled every 5 s, to see which phase holds the peak (with the JSON timings).
        var timeline = new List<string>();
        while (!p.WaitForExit(5000))
        {
            try
            {
                string? rss = File.ReadLines($"/proc/{p.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (rss is not null) timeline.Add(Invariant($"{clock.Elapsed.TotalSeconds:0}s {long.Parse(rss[6..^2].Trim(), CultureInfo.InvariantCulture) / 1024}M"));
            }
            catch (IOException) { }
        }
        Console.WriteLine("RSS timeline: " + string.Join(", ", timeline));
        double wall = clock.Elapsed.TotalSeconds;
        var after = Children();
        Console.WriteLine("stdout: " + stdout.Result.Trim());
        if (stderr.Result.Length > 0) Console.WriteLine("stderr: " + stderr.Result.Trim());
        if (File.Exists(json))
        {
            string text = File.ReadAllText(json);
            int i = text.IndexOf("\"notes\"", StringComparison.Ordinal);
            if (i >= 0) Console.WriteLine(text[i..Math.Min(text.Length, i + 1200)]);
            File.Delete(json);
        }
        return (wall, after.Cpu - before.Cpu, after.MaxRssKb, p.ExitCode);
    }

    // EQV names the eqv to run (a copy of the build output, so that rebuilding the tree cannot change a running audit).
    private static string FindEqv()
    {
        if (Environment.GetEnvironmentVariable("EQV") is { Length: > 0 } given) return given;
        foreach (var dir in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "src/EquivarianceRegularizer.Cli/bin/Release/net10.0/linux-x64/eqv");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException("eqv not found: build src/EquivarianceRegularizer.Cli in Release first (dotnet build src/EquivarianceRegularizer.Cli -c Release).");
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // The heap this process freed goes back to the kernel before an audit runs beside it (glibc keeps it otherwise).
    private static void ReleaseHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (OperatingSystem.IsLinux()) _ = malloc_trim(0);
    }

    private static double ProcessCpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>CPU seconds of every waited-for child so far and the largest child's peak RSS (kB).</summary>
    private static (double Cpu, long MaxRssKb) Children() => PageFaults.Children();

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);
}
