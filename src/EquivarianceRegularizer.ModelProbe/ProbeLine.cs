using System.Text.Json.Serialization;

namespace EquivarianceRegularizer.ModelProbe;

/// <summary>The probe's report on one item: its position on the command line, whether it loaded, and why not.</summary>
internal sealed record ProbeLine(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);
