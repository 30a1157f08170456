using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// Finds the handle of the libtorch CPU library that TorchSharp has already loaded, without ever loading a copy of
/// its own: a second copy registers libtorch's operators twice and aborts the process ("multiple backend fallbacks").
/// </summary>
internal static class LoadedLibtorch
{
    // dlopen flags (glibc <dlfcn.h>, macOS <dlfcn.h>): only look among the libraries already mapped.
    private const int RtldLazy = 0x1;
    private const int RtldNoLoadLinux = 0x4;
    private const int RtldNoLoadMacOs = 0x10;

    /// <summary>Returns the handle of the loaded libtorch_cpu, or null with the reason it could not be found.</summary>
    public static IntPtr? TryFind(out string? reason)
    {
        reason = null;
        if (OperatingSystem.IsWindows())
        {
            var module = GetModuleHandleW("torch_cpu.dll");
            if (module != IntPtr.Zero) return module;
            reason = "torch_cpu.dll is not among the loaded modules.";
            return null;
        }
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            reason = $"no lookup of libtorch's symbols is implemented for {RuntimeInformation.OSDescription}.";
            return null;
        }
        if (!NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "dlopen", out var dlopenAddress))
        {
            reason = "dlopen is not reachable from this process.";
            return null;
        }
        int flags = RtldLazy | (OperatingSystem.IsLinux() ? RtldNoLoadLinux : RtldNoLoadMacOs);
        foreach (var name in CandidateNames())
        {
            var handle = DlOpen(dlopenAddress, name, flags);
            if (handle != IntPtr.Zero) return handle;
        }
        reason = "libtorch_cpu is not among the libraries loaded by this process.";
        return null;
    }

    private static IEnumerable<string> CandidateNames()
    {
        if (OperatingSystem.IsMacOS())
        {
            yield return "libtorch_cpu.dylib";
            yield break;
        }
        // The soname matches whichever path TorchSharp loaded it from; the mapped path is the fallback.
        yield return "libtorch_cpu.so";
        string maps;
        try { maps = File.ReadAllText("/proc/self/maps"); }
        catch (IOException) { yield break; }
        catch (UnauthorizedAccessException) { yield break; }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in maps.Split('\n'))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0) continue;
            var path = line[slash..].Trim();
            if (Path.GetFileName(path) == "libtorch_cpu.so" && seen.Add(path)) yield return path;
        }
    }

    private static unsafe IntPtr DlOpen(IntPtr dlopenAddress, string name, int flags)
    {
        var dlopen = (delegate* unmanaged<byte*, int, IntPtr>)dlopenAddress;
        var bytes = System.Text.Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes) return dlopen(p, flags);
    }

    [DllImport("kernel32", CharSet = CharSet.Unicode, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    private static extern IntPtr GetModuleHandleW(string moduleName);
}
