using System.Text.Json;
using System.Text.Json.Serialization;

namespace EquivarianceRegularizer.Lie;

/// <summary>JSON settings shared by the Lie reports.</summary>
public static class LieJson
{
    /// <summary>camelCase, indented, enums as strings.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };
}
