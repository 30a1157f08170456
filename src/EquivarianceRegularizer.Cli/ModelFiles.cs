using EquivarianceRegularizer.Jit;
using TorchSharp;

namespace EquivarianceRegularizer.Cli;

/// <summary>How the commands open model files (one place, so audit and lie load the same way).</summary>
internal static class ModelFiles
{
    /// <summary>Loads a TorchScript archive with layer taps.</summary>
    public static TappedScriptModule LoadTapped(string path)
    {
        EnsureExists(path);
        return TappedScriptModule.Load(path);
    }

    /// <summary>Loads a TorchScript archive as it is.</summary>
    public static torch.jit.ScriptModule<torch.Tensor, torch.Tensor> Load(string path)
    {
        EnsureExists(path);
        return torch.jit.load<torch.Tensor, torch.Tensor>(path);
    }

    private static void EnsureExists(string path)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"model file '{path}' is a directory, not a TorchScript file.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' not found.", path);
    }
}
