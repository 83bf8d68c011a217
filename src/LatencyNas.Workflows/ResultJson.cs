using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LatencyNas.Workflows;

/// <summary>
/// How a result record is written as JSON, by the commands' <c>--json</c> and by the workbench's API alike:
/// snake_case keys, enums as their option names, an undefined number (NaN, infinite) as <c>null</c>.
/// </summary>
public static class ResultJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // '+' and '|' in arch strings stay readable
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower), new FiniteDouble(), new FiniteSingle() },
    };

    /// <summary>
    /// A double as a JSON number, and one that is no number (an SRCC of a device whose latencies are all equal, an interval
    /// of too few pairs) as <c>null</c>, which is what JSON has for an absent value ("NaN" as a string would read as text).
    /// Read back: a number, null as NaN, and the named literals ("NaN") records written before 2026-12-04 hold.
    /// </summary>
    private sealed class FiniteDouble : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadNumber(ref reader);

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
                return;
            }
            writer.WriteNullValue();
        }
    }

    /// <summary>As <see cref="FiniteDouble"/>, for a float (written in its own shortest form, not widened).</summary>
    private sealed class FiniteSingle : JsonConverter<float>
    {
        public override bool HandleNull => true;

        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => (float)ReadNumber(ref reader);

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value))
            {
                writer.WriteNumberValue(value);
                return;
            }
            writer.WriteNullValue();
        }
    }

    /// <summary>A number, null as NaN, or one of the named literals older records hold.</summary>
    private static double ReadNumber(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.GetDouble(),
        JsonTokenType.Null => double.NaN,
        JsonTokenType.String when reader.GetString() is "NaN" or "Infinity" or "-Infinity" => double.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new JsonException("A number is expected."),
    };
}
