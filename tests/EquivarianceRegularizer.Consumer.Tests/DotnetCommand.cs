using System.Diagnostics;

namespace EquivarianceRegularizer.Consumer.Tests;

/// <summary>Runs the dotnet CLI as a child process, as a user at a shell would, and keeps its output.</summary>
public static class DotnetCommand
{
    /// <summary>The exit code and the interleaved stdout and stderr of one command.</summary>
    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed);

    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The test host sets MSBuild variables for its own SDK; a child build must resolve its own.
        foreach (var name in new[] { "MSBuildSDKsPath", "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
            start.Environment.Remove(name);
        // No build nodes or compiler servers that outlive the command: they would inherit the output pipes and keep
        // this reader waiting, and hold files in the temporary folder.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        var output = new System.Text.StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Result(-1, $"dotnet {string.Join(' ', arguments)} ran past {timeout.TotalSeconds:F0} s and was stopped.\n{output}", watch.Elapsed);
        }
        process.WaitForExit(); // drains the asynchronous readers
        lock (output) return new Result(process.ExitCode, output.ToString(), watch.Elapsed);
    }

    /// <summary>Runs and fails the test, with the command's output, unless it exits 0.</summary>
    public static Result Succeed(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var result = Run(workingDirectory, timeout, arguments);
        Assert.That(result.ExitCode, Is.Zero, $"dotnet {string.Join(' ', arguments)} failed:\n{result.Output}");
        TestContext.Progress.WriteLine($"dotnet {arguments[0]} ({Path.GetFileName(workingDirectory)}): {result.Elapsed.TotalSeconds:F1} s");
        return result;
    }
}
