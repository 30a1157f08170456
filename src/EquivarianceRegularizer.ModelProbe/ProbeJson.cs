using System.Text.Json.Serialization;

namespace EquivarianceRegularizer.ModelProbe;

/// <summary>Source-generated serializer (no reflection), so the probe starts fast.</summary>
[JsonSerializable(typeof(ProbeLine))]
internal sealed partial class ProbeJson : JsonSerializerContext;
