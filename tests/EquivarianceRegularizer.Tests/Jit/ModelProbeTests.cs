using System.Diagnostics;
using EquivarianceRegularizer.Jit;
using static EquivarianceRegularizer.Tests.Jit.JitTestFiles;

namespace EquivarianceRegularizer.Tests.Jit;

/// <summary>The model probe: how it is found and started, and what happens when it is missing, dies or hangs.</summary>
[NonParallelizable]
public class ModelProbeTests
{
    private const string ProbeVariable = "EQUIVARIANCE_MODEL_PROBE";

    [Test]
    public void Probe_IsBesideTheTestAssembly_WithItsRuntimeConfig()
    {
        // Setting (a): a ProjectReference copies the probe (dll, deps.json, runtimeconfig.json) into the output.
        var probe = Path.Combine(AppContext.BaseDirectory, "EquivarianceRegularizer.ModelProbe.dll");
        Assert.That(File.Exists(probe), Is.True, probe);
        Assert.That(File.Exists(Path.ChangeExtension(probe, ".runtimeconfig.json")), Is.True);
    }

    [Test]
    public void LoadingUnknownOperatorInAProcess_AbortsIt_WhichIsWhyTheProbeExists()
    {
        // If a TorchSharp release starts catching torch::jit::ErrorReport, this fails: then InProcess becomes safe too.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", "--depsfile", DepsFile(), "--runtimeconfig", Path.ChangeExtension(DepsFile(), null)[..^".deps".Length] + ".runtimeconfig.json",
                     Path.Combine(AppContext.BaseDirectory, "EquivarianceRegularizer.ModelProbe.dll"), "load", Bad("unknown_operator.pt") })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        Assert.That(process.WaitForExit(60_000), Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(134), "SIGABRT");
        Assert.That(stderr.Result, Does.Contain("terminate called after throwing an instance of 'torch::jit::ErrorReport'"));
    }

    [Test]
    public void MissingProbe_GivesProbeUnavailable_WithWhatToDo()
    {
        var before = Environment.GetEnvironmentVariable(ProbeVariable);
        try
        {
            Environment.SetEnvironmentVariable(ProbeVariable, Path.Combine(TestContext.CurrentContext.WorkDirectory, "nowhere", "EquivarianceRegularizer.ModelProbe.dll"));
            var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptLoader.Load(Fixture("small_cnn_scripted.pt"), ScriptLoadSafety.ChildProcessProbe))!;
            Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.ProbeUnavailable));
            Assert.That(e.Message, Does.Contain(ProbeVariable).And.Contain("nowhere"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ProbeVariable, before);
        }
    }

    [Test]
    public void ProbePastItsTimeout_IsKilled_AndReportedAsTimedOut()
    {
        var clock = Stopwatch.StartNew();
        var results = TorchScriptProbe.ProbeArchives([Path.GetFullPath(Fixture("small_cnn_scripted.pt"))], TimeSpan.FromMilliseconds(50));
        Assert.That(results[0]?.Reason, Is.EqualTo(TorchScriptLoadFailure.ProbeTimedOut), "a .NET start-up alone takes longer than 50 ms");
        Assert.That(results[0]!.Message, Does.Contain("did not finish within"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
    }

    private static string DepsFile() =>
        ((string)AppContext.GetData("APP_CONTEXT_DEPS_FILES")!).Split(';').First(f => !f.EndsWith("Microsoft.NETCore.App.deps.json", StringComparison.Ordinal));
}
