using EquivarianceRegularizer.Torch.Modules;

namespace EquivarianceRegularizer.Torch.Tests.NN;

/// <summary>
/// A reference case written by tests/fixtures/nn/make_nn_fixtures.py: module state under "model.*", inputs and
/// outputs under plain names. Owns the loaded tensors.
/// </summary>
internal sealed class NNFixture : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors;

    private NNFixture(Dictionary<string, Tensor> tensors) => _tensors = tensors;

    public static string PathOf(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "nn", name + ".ertsd");

    public static NNFixture Load(string name) => new(StateDictFile.Load(PathOf(name)));

    public Tensor this[string key] => _tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"Fixture has no tensor '{key}'.");

    /// <summary>Entries under <paramref name="prefix"/> with the prefix removed (by default the module's state).</summary>
    public Dictionary<string, Tensor> WithPrefix(string prefix = "model.") =>
        _tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    public void LoadInto(torch.nn.Module module, string prefix = "model.") => module.load_state_dict(WithPrefix(prefix));

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
    }

    /// <summary>Asserts equal shapes and max |a − e| ≤ atol + rtol·max |e|.</summary>
    public static void AssertClose(Tensor actual, Tensor expected, double atol = 1e-5, double rtol = 1e-5, string? what = null)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what} shape");
        var a = actual.ToArrayDouble();
        var e = expected.ToArrayDouble();
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < a.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(a[i] - e[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(e[i]));
            if (double.IsNaN(a[i]) != double.IsNaN(e[i])) Assert.Fail($"{what}: NaN mismatch at element {i}.");
        }
        Assert.That(maxDiff, Is.LessThanOrEqualTo(atol + rtol * maxAbs), $"{what}: max |actual − expected|");
    }
}
