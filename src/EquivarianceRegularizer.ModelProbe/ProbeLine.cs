using System.Text.Json.Serialization;

namespace EquivarianceRegularizer.ModelProbe;

/// <summary>The probe's report on one item: its position on the command line, whether it loaded, and why not.</summary>
internal sealed record ProbeLine(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>Source-generated serializer (no reflection), so the probe starts fast.</summary>
[JsonSerializable(typeof(ProbeLine))]
internal sealed partial class ProbeJson : JsonSerializerContext;
