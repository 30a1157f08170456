using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Finds the model probe (EquivarianceRegularizer.ModelProbe.dll) and builds the command that starts it on this
/// application's own TorchSharp: <c>dotnet exec --depsfile APP.deps.json --runtimeconfig APP.runtimeconfig.json</c>,
/// so the child resolves the same managed and native libraries (including a patched libLibTorchSharp.so) as this process.
/// </summary>
internal static class ModelProbeLauncher
{
    /// <summary>The probe's file name.</summary>
    public const string ProbeFileName = "EquivarianceRegularizer.ModelProbe.dll";

    /// <summary>Environment variable that names the probe's path explicitly (overrides the search).</summary>
    public const string ProbePathVariable = "EQUIVARIANCE_MODEL_PROBE";

    /// <summary>The probe's path: the variable, else the application's folder, else the library's folder.</summary>
    public static string Locate()
    {
        var explicitPath = Environment.GetEnvironmentVariable(ProbePathVariable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            if (File.Exists(explicitPath)) return Path.GetFullPath(explicitPath);
            throw Unavailable($"{ProbePathVariable} names '{explicitPath}', which does not exist; point it at {ProbeFileName} or unset it.");
        }
        var searched = new List<string> { Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory) };
        var libraryDirectory = Path.GetDirectoryName(typeof(ModelProbeLauncher).Assembly.Location);
        if (!string.IsNullOrEmpty(libraryDirectory)) searched.Add(Path.TrimEndingDirectorySeparator(libraryDirectory));
        searched = searched.Distinct().ToList();
        foreach (var directory in searched)
        {
            var candidate = Path.Combine(directory, ProbeFileName);
            if (File.Exists(candidate)) return candidate;
        }
        throw Unavailable($"the model probe {ProbeFileName} is not in {string.Join(" or ", searched.Select(d => $"'{d}'"))}. " +
            "It ships in the EquivarianceRegularizer package and its build targets copy it into your output: rebuild, " +
            $"or set {ProbePathVariable} to its path, or load files you trust with ScriptLoadSafety.InProcess.");
    }

    /// <summary>The start information for the probe with <paramref name="arguments"/>.</summary>
    public static ProcessStartInfo StartInfo(string probe, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        start.ArgumentList.Add("exec");
        var (deps, runtimeConfig) = ApplicationFiles(probe);
        if (deps is not null) { start.ArgumentList.Add("--depsfile"); start.ArgumentList.Add(deps); }
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(runtimeConfig);
        start.ArgumentList.Add(probe);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return start;
    }

    // This application's deps.json and runtimeconfig.json (the host names the deps file; the runtimeconfig sits beside
    // it): the probe then binds to exactly the TorchSharp and native libraries this process uses. Without them (a
    // host that has no deps file) it falls back on the probe's own files, which expect TorchSharp beside the probe.
    private static (string? Deps, string RuntimeConfig) ApplicationFiles(string probe)
    {
        var depsFiles = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var appDeps = depsFiles.FirstOrDefault(f => File.Exists(f) && !f.EndsWith("Microsoft.NETCore.App.deps.json", StringComparison.OrdinalIgnoreCase));
        if (appDeps is not null && appDeps.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase))
        {
            var config = appDeps[..^".deps.json".Length] + ".runtimeconfig.json";
            if (File.Exists(config)) return (appDeps, config);
        }
        var own = Path.ChangeExtension(probe, null);
        var ownConfig = own + ".runtimeconfig.json";
        if (!File.Exists(ownConfig))
            throw Unavailable($"neither this application's runtimeconfig.json nor the probe's own ('{ownConfig}') was found, so the model probe cannot be started.");
        var ownDeps = own + ".deps.json";
        return (File.Exists(ownDeps) ? ownDeps : null, ownConfig);
    }

    // The dotnet muxer: this process's own when it is one, else the one above the running runtime's folder
    // (DOTNET_ROOT/shared/Microsoft.NETCore.App/<version>/), else "dotnet" on PATH.
    private static string DotnetHost()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var self = Environment.ProcessPath;
        if (self is not null && string.Equals(Path.GetFileName(self), exe, StringComparison.OrdinalIgnoreCase)) return self;
        var runtime = RuntimeEnvironment.GetRuntimeDirectory();
        var root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        var candidate = Path.Combine(root, exe);
        if (File.Exists(candidate)) return candidate;
        var dotnetRoot = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(dotnetRoot) && File.Exists(Path.Combine(dotnetRoot, exe))) return Path.Combine(dotnetRoot, exe);
        return exe;
    }

    public static TorchScriptLoadException Unavailable(string why) =>
        new(TorchScriptLoadFailure.ProbeUnavailable, "Cannot check TorchScript in a child process: " + why);
}
