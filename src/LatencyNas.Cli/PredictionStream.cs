using System.Text.Json;
using System.Text.Json.Serialization;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Workflows;

namespace LatencyNas.Cli;

/// <summary>
/// <c>predict --stdin</c>: one JSON line out per line in, written as soon as the line is predicted,
/// so that a search in any language can keep one process open. Blank lines are skipped; a line
/// that is not an architecture gets <c>{"line": n, "error": ...}</c> and the stream goes on.
/// </summary>
internal static class PredictionStream
{
    private static readonly JsonSerializerOptions LineOptions = new(Json.Options)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record Prediction(int Line, JsonElement? Id, string Arch, string Ops, int? Index, double PredictedMs);

    private sealed record Refusal(int Line, JsonElement? Id, string Error);

    /// <returns>0 when every line was an architecture, 2 when some were not (after the whole stream).</returns>
    public static int Run(PredictSession session, SearchSpace space, TextReader input, TextWriter output, TextWriter log)
    {
        int line = 0, predicted = 0, refused = 0;
        while (input.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }
            JsonElement? id = null;
            try
            {
                string arch = text.Trim();
                if (arch.StartsWith('{'))
                {
                    arch = FromJson(arch, out id);
                }
                var p = session.Predict([space.Parse(arch)])[0];
                output.WriteLine(JsonSerializer.Serialize(new Prediction(line, id, p.Arch, p.Ops, p.Index, p.PredictedMs), LineOptions));
                predicted++;
            }
            catch (Exception error) when (error is InvalidInputException or JsonException)
            {
                output.WriteLine(JsonSerializer.Serialize(new Refusal(line, id, error.Message), LineOptions));
                refused++;
            }
            output.Flush();
        }
        log.WriteLine($"{predicted} predictions by {session.Model} trained on {session.TrainedOn} architectures of {session.Device}" +
                      (refused > 0 ? $"; {refused} line{(refused == 1 ? " was" : "s were")} not {space.Name} architectures" : ""));
        return refused > 0 ? ExitCodes.BadInput : ExitCodes.Success;
    }

    /// <param name="id">The line's <c>id</c>, echoed back (set before an error, so the error carries it too).</param>
    private static string FromJson(string text, out JsonElement? id)
    {
        id = null;
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var given))
        {
            id = given.Clone();
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("arch", out var arch) || arch.ValueKind != JsonValueKind.String)
        {
            throw new JsonException("A JSON line needs a string \"arch\", e.g. {\"arch\": \"123401\", \"id\": 7}.");
        }
        return arch.GetString()!;
    }
}
