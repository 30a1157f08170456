using System.Text.Json;
using System.Text.Json.Serialization;

namespace EquivarianceRegularizer.Reports;

/// <summary>
/// The JSON convention of the machine-readable reports (<c>eqv audit --json</c>, <c>eqv lie --json</c>): snake_case keys
/// from one naming policy, indented, numbers as shortest round-trip doubles, NaN and infinity as null. Each report
/// declares its document as records whose properties, in order, are its keys; a property marked
/// <see cref="JsonIgnoreCondition.WhenWritingNull"/> is left out when it has no value, any other is written as null.
/// </summary>
internal static class ReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new FiniteOrNull() },
    };

    /// <summary>The document as indented JSON.</summary>
    public static string Serialize<T>(T document) => JsonSerializer.Serialize(document, Options);

    /// <summary>A value written in the convention's spelling (snake_case), e.g. an enum's name.</summary>
    public static string Snake(object value) => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString()!);

    private sealed class FiniteOrNull : JsonConverter<double>
    {
        public override bool HandleNull => false;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value); else writer.WriteNullValue();
        }
    }
}
