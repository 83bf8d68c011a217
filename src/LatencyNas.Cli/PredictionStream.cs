using System.Text.Json;
using System.Text.Json.Serialization;
using LatencyNas.Workflows;

namespace LatencyNas.Cli;

/// <summary>
/// <c>predict --stdin</c>: one JSON line out per line in, written as soon as the line is predicted,
/// so that a search in any language can keep one process open. Blank lines are skipped; a line
/// that is not an architecture gets <c>{"line": n, "error": ...}</c> and the stream goes on.
/// </summary>
internal static class PredictionStream
{
    private static readonly JsonSerializerOptions LineOptions = new(ResultJson.Options)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>An answer flattened into one JSON object: the prediction's fields, or the error.</summary>
    private sealed record Answer(int Line, JsonElement? Id, string? Arch, string? Ops, int? Index, double? PredictedMs, string? Error);

    /// <returns>0 when every line was an architecture, 2 when some were not (after the whole stream).</returns>
    public static int Run(PredictSession session, string space, TextReader input, TextWriter output, TextWriter log)
    {
        int number = 0, predicted = 0, refused = 0;
        while (input.ReadLine() is { } text)
        {
            if (session.PredictLine(++number, text) is not { } answer)
            {
                continue;
            }
            var p = answer.Prediction;
            output.WriteLine(JsonSerializer.Serialize(new Answer(answer.Line, answer.Id, p?.Arch, p?.Ops, p?.Index, p?.PredictedMs, answer.Error), LineOptions));
            output.Flush();
            (predicted, refused) = p is null ? (predicted, refused + 1) : (predicted + 1, refused);
        }
        log.WriteLine($"{predicted} predictions by {session.Model} trained on {session.TrainedOn} architectures of {session.Device}" +
                      (refused > 0 ? $"; {refused} line{(refused == 1 ? " was" : "s were")} not {space} architectures" : ""));
        return refused > 0 ? ExitCodes.BadInput : ExitCodes.Success;
    }
}
