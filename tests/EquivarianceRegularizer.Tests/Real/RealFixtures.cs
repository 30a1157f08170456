using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Real;

/// <summary>
/// torchvision 0.14's own architectures in tests/fixtures/real (made by make_real_fixtures.py with PyTorch 1.13):
/// reduced-width resnet18, mobilenet_v2, a small ViT, LRASPP, an attention model calling attn(h, h, h) and a
/// dict-returning backbone, traced and scripted, with PyTorch's outputs and forward-hook records.
/// </summary>
internal static class RealFixtures
{
    private static readonly Lazy<JsonElement> References = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "real_reference.json"))).RootElement);

    public static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "real");

    /// <summary>Every fixture (architecture_mode), as the reference file lists them.</summary>
    public static IEnumerable<string> All() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "real", "real_reference.json")))
            .RootElement.GetProperty("models").EnumerateObject().Select(p => p.Name).ToList();

    public static string RealArchive(string model) => Path.Combine(Folder, model + ".pt");

    public static JsonElement RealReference(string model) => References.Value.GetProperty("models").GetProperty(model);

    /// <summary>The input PyTorch ran <paramref name="model"/> on.</summary>
    public static Tensor Input(string model) =>
        Jit.ScriptTapFixtures.ToTensor(References.Value.GetProperty("inputs").GetProperty(RealReference(model).GetProperty("input").GetString()!));

    /// <summary>PyTorch's forward-hook records: name (a repeated call as name#k), type, and output summary.</summary>
    public static IReadOnlyList<JsonElement> Taps(string model) => RealReference(model).GetProperty("taps").EnumerateArray().ToList();

    /// <summary>(sum, L2 norm) of a tensor, in float64.</summary>
    public static (double Sum, double Norm) Summary(Tensor t)
    {
        using var d = t.detach().to(ScalarType.Float64);
        return (d.sum().ToDouble(), d.norm().ToDouble());
    }
}
