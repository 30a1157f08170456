using System.Globalization;
using System.Text.Json;

namespace EquivarianceRegularizer.Torch.Tests.Support;

/// <summary>
/// Reads tests/fixtures/ops/op_fixtures.json, written by tests/fixtures/ops/generate_op_fixtures.py from PyTorch:
/// a table of tensors and, per case, which tensors are its inputs and expected outputs.
/// </summary>
internal sealed class OpFixtures
{
    private static readonly Lazy<OpFixtures> s_instance = new(() => Load(Path.Combine(
        TestContext.CurrentContext.TestDirectory, "fixtures", "ops", "op_fixtures.json")));

    private readonly FixtureTensor[] _tensors;
    private readonly Dictionary<string, (Dictionary<string, int> inputs, int[] outputs)> _cases;

    private OpFixtures(FixtureTensor[] tensors, Dictionary<string, (Dictionary<string, int>, int[])> cases)
    {
        _tensors = tensors;
        _cases = cases;
    }

    public static OpFixtures Instance => s_instance.Value;

    public IEnumerable<string> CaseNames => _cases.Keys.Order(StringComparer.Ordinal);

    public FixtureCase Case(string name) =>
        _cases.TryGetValue(name, out var c)
            ? new FixtureCase(name, c.inputs.ToDictionary(kv => kv.Key, kv => _tensors[kv.Value]), c.outputs.Select(i => _tensors[i]).ToArray())
            : throw new KeyNotFoundException($"No fixture case '{name}'; regenerate tests/fixtures/ops/op_fixtures.json.");

    private static OpFixtures Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var tensors = root.GetProperty("tensors").EnumerateArray().Select(ParseTensor).ToArray();
        var cases = new Dictionary<string, (Dictionary<string, int>, int[])>(StringComparer.Ordinal);
        foreach (var c in root.GetProperty("cases").EnumerateObject())
        {
            var inputs = c.Value.GetProperty("inputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
            var outputs = c.Value.GetProperty("outputs").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            cases[c.Name] = (inputs, outputs);
        }
        return new OpFixtures(tensors, cases);
    }

    private static FixtureTensor ParseTensor(JsonElement e)
    {
        var dtype = e.GetProperty("dtype").GetString() switch
        {
            "float64" => ScalarType.Float64,
            "float32" => ScalarType.Float32,
            "int64" => ScalarType.Int64,
            "bool" => ScalarType.Bool,
            var other => throw new InvalidDataException($"Unknown fixture dtype '{other}'."),
        };
        var shape = e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        var values = e.GetProperty("data").EnumerateArray().Select(ParseNumber).ToArray();
        return new FixtureTensor(dtype, shape, values);
    }

    private static double ParseNumber(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        JsonValueKind.String => v.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            var s => double.Parse(s!, CultureInfo.InvariantCulture),
        },
        _ => throw new InvalidDataException($"Unexpected fixture value {v}."),
    };
}

/// <summary>One fixture case: named inputs and expected outputs.</summary>
internal sealed record FixtureCase(string Name, IReadOnlyDictionary<string, FixtureTensor> Inputs, FixtureTensor[] Outputs)
{
    /// <summary>Creates input <paramref name="name"/> as a tensor (in the current dispose scope).</summary>
    public Tensor this[string name] => Inputs.TryGetValue(name, out var t)
        ? t.ToTensor()
        : throw new KeyNotFoundException($"Fixture case '{Name}' has no input '{name}'.");
}

/// <summary>A tensor stored in the fixture: dtype, shape and row-major values.</summary>
internal sealed record FixtureTensor(ScalarType DType, long[] Shape, double[] Values)
{
    public Tensor ToTensor() => DType switch
    {
        ScalarType.Float64 => torch.tensor(Values, Shape),
        ScalarType.Float32 => torch.tensor(Values.Select(v => (float)v).ToArray(), Shape),
        ScalarType.Int64 => torch.tensor(Values.Select(v => (long)v).ToArray(), Shape),
        ScalarType.Bool => torch.tensor(Values.Select(v => v != 0).ToArray(), Shape),
        _ => throw new InvalidOperationException($"Unsupported fixture dtype {DType}."),
    };
}
