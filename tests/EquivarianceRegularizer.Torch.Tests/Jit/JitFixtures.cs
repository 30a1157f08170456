using System.Text.Json;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests.Jit;

/// <summary>
/// Paths and PyTorch reference values written by tests/fixtures/jit/generate_jit_fixtures.py
/// (regenerate: cd tests/fixtures/jit &amp;&amp; /usr/bin/python3 generate_jit_fixtures.py).
/// </summary>
internal static class JitFixtures
{
    public const string SmallCnnScripted = "small_cnn_scripted.pt";
    public const string SmallCnnTraced = "small_cnn_traced.pt";
    public const string NestedScripted = "nested_scripted.pt";
    public const string NestedTraced = "nested_traced.pt";
    public const string PlainPickle = "plain_state_dict_pickle.pt";
    public const string CallInsideIf = "call_inside_if_scripted.pt";
    public const string NestedMixedMode = "nested_mixed_mode_scripted.pt";
    public const string TwoHeads = "two_heads_scripted.pt";

    public static string PathOf(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", name);

    public static JsonElement Reference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf(name)));
        return doc.RootElement.Clone();
    }

    public static JsonElement SmallCnnReference => Reference("small_cnn_reference.json");

    public static JsonElement NestedReference => Reference("nested_reference.json");

    public static long[] Shape(JsonElement t) => t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    public static double[] Values(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>The reference tensor as float32 (the dtype PyTorch computed in) or float64.</summary>
    public static Tensor ToTensor(JsonElement t, ScalarType dtype = ScalarType.Float32) =>
        dtype == ScalarType.Float64
            ? tensor(Values(t), Shape(t))
            : tensor(Values(t).Select(v => (float)v).ToArray(), Shape(t));

    /// <summary>Largest absolute difference between a tensor and a reference (shapes must agree).</summary>
    public static double MaxAbsDiff(Tensor actual, JsonElement expected)
    {
        Assert.That(actual.shape, Is.EqualTo(Shape(expected)), "shape");
        var a = actual.ToArrayDouble();
        var e = Values(expected);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - e[i]));
        return max;
    }
}
