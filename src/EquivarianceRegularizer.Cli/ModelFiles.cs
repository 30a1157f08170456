using EquivarianceRegularizer.Jit;
using TorchSharp;

namespace EquivarianceRegularizer.Cli;

/// <summary>How the commands open model files (one place, so audit and lie load the same way).</summary>
internal static class ModelFiles
{
    /// <summary>Loads a TorchScript archive with layer taps.</summary>
    /// <remarks>
    /// A model file is untrusted input: it is checked (zip structure, CRCs) and loaded once in the model probe, a child
    /// process, before this process loads it, because libtorch aborts a process whose TorchScript does not compile.
    /// The rewritten archive for the taps is vetted the same way. Failures arrive as <see cref="TorchScriptLoadException"/>.
    /// </remarks>
    public static TappedScriptModule LoadTapped(string path)
    {
        EnsureExists(path);
        BeforeLoad.Value?.Invoke(path);
        return TappedScriptModule.Load(path, ScriptLoadSafety.ChildProcessProbe);
    }

    /// <summary>
    /// A test seam, called with the path before each load in the calling flow only (tests make it throw what a load can
    /// throw, such as <see cref="OutOfMemoryException"/>, to check how the commands end). Null in the tool.
    /// </summary>
    internal static readonly AsyncLocal<Action<string>?> BeforeLoad = new();

    private static void EnsureExists(string path)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"model file '{path}' is a directory, not a TorchScript file.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' not found.", path);
    }
}
