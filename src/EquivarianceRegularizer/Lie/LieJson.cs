using System.Text.Json;
using System.Text.Json.Serialization;

namespace EquivarianceRegularizer.Lie;

/// <summary>
/// JSON settings of the library's own <c>ToJson()</c> of Lie results (<see cref="LeeResult"/>,
/// <see cref="LayerwiseLeeReport"/>): camelCase keys and enum names as written in C# ("cumulativeShare": 1,
/// "role": "Downsampling"). The command line's reports (<c>eqv audit/lie --json</c>) use snake_case instead
/// (Reports/ReportJson); this spelling stays because programs and docs/lie-derivative.md read it.
/// </summary>
internal static class LieJson
{
    /// <summary>camelCase, indented, enums as strings.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };
}
