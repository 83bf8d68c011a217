using LatencyNas.Core.Measurements;
using System.Text.Json;
using System.Text.Json.Serialization;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Remote;

/// <summary>
/// The HTTP contract between <c>latnas agent</c> and the remote runner:
/// <c>GET /healthz</c>, <c>GET /v1/info</c>, and <c>POST /v1/measure?settings=JSON</c> with the ONNX
/// bytes as the body, a bearer token and an <c>Idempotency-Key</c> header.
/// </summary>
public static class AgentContract
{
    public const string HealthPath = "/healthz";
    public const string InfoPath = "/v1/info";
    public const string MeasurePath = "/v1/measure";
    public const string SettingsParameter = "settings";
    public const string IdempotencyHeader = "Idempotency-Key";

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}

/// <summary>What to measure the uploaded model with.</summary>
public sealed record MeasureSettings(OrtSettings Runtime, MeasurementProtocol Protocol);

/// <summary>The agent's answer to a measurement: the same statistics a local run reports.</summary>
public sealed record MeasureResponse(string Agent, double SessionMs, LatencyStatistics Statistics);

/// <summary>What an agent says about itself.</summary>
public sealed record AgentInfo(
    string Agent, string CpuModel, int Cores, string OperatingSystem, string RuntimeVersion, IReadOnlyList<string> Providers,
    long MaxModelBytes, int QueueLimit, bool RequiresToken);

/// <summary>The body of every error answer.</summary>
public sealed record AgentError(string Error);
