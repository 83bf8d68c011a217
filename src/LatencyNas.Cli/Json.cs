using System.Text.Json;
using LatencyNas.Workflows;

namespace LatencyNas.Cli;

/// <summary>How <c>--json</c> prints a result record (<see cref="ResultJson"/>, shared with the workbench's API).</summary>
internal static class Json
{
    public static void Write<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, ResultJson.Options));
}
