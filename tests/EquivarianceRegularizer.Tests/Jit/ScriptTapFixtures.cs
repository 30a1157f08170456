using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Jit;

/// <summary>
/// The archives and PyTorch forward-hook references in tests/fixtures/taps (made by generate_tap_fixtures.py
/// with PyTorch 1.13) and tests/fixtures/jit (generate_jit_fixtures.py).
/// </summary>
internal static class ScriptTapFixtures
{
    private static readonly Lazy<JsonElement> References = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TapsFolder, "tap_reference.json"))).RootElement);

    public static string TapsFolder => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "taps");

    public static string JitFolder => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit");

    public static string AuditFolder => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "audit");

    public static string Archive(string model) => Path.Combine(TapsFolder, model + ".pt");

    public static JsonElement Reference(string model) => References.Value.GetProperty(model);

    public static JsonElement JitReference(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(JitFolder, file))).RootElement;

    /// <summary>A tensor from the fixtures' <c>{"shape": [...], "data": [...]}</c> form, in float32.</summary>
    public static Tensor ToTensor(JsonElement json, ScalarType dtype = ScalarType.Float32)
    {
        var shape = json.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var data = json.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return tensor(data, dtype: ScalarType.Float64).reshape(shape).to(dtype);
    }

    public static long[] Shape(JsonElement json) => json.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>The largest absolute difference between a tensor and a fixture tensor; shapes must agree.</summary>
    public static double MaxAbsDiff(Tensor actual, JsonElement expected)
    {
        Assert.That(actual.shape, Is.EqualTo(Shape(expected)), "shape");
        using var e = ToTensor(expected, actual.dtype);
        using var d = (actual.detach() - e).abs().max();
        return d.ToDouble();
    }
}
