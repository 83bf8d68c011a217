using LatencyNas.Core.Measurements;
using System.Text.Json;
using System.Text.Json.Serialization;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Remote;

/// <summary>
/// The HTTP contract between <c>latnas agent</c> and the remote runner: <c>GET /healthz</c>,
/// <c>GET /v1/info</c>, <c>POST /v1/measure?settings=JSON</c> with one model's ONNX bytes as the body,
/// and <c>POST /v1/measure-batch?settings=JSON</c> with several models framed as <see cref="BatchFraming"/>
/// describes; each with a bearer token and an <c>Idempotency-Key</c> header.
/// </summary>
public static class AgentContract
{
    public const string HealthPath = "/healthz";
    public const string InfoPath = "/v1/info";
    public const string MeasurePath = "/v1/measure";
    public const string MeasureBatchPath = "/v1/measure-batch";
    public const string BatchContentType = "application/x-latnas-batch";
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

/// <summary>The agent's answer to a measurement of one model: the same statistics and visits a local run reports.</summary>
public sealed record MeasureResponse(string Agent, double SessionMs, LatencyStatistics Statistics, IReadOnlyList<Visit>? Visits = null);

/// <summary>One model of a batch answer: its measurement, or why it has none (the runtime refused it, the agent was too busy).</summary>
public sealed record BatchItem(double SessionMs, LatencyStatistics? Statistics, IReadOnlyList<Visit>? Visits, string? Failure);

/// <summary>The agent's answer to a batch: one item per model, in the order they were sent.</summary>
public sealed record BatchResponse(string Agent, IReadOnlyList<BatchItem> Items);

/// <summary>What an agent says about itself, with the limits it enforces.</summary>
/// <param name="MaxBatchModels">Most models one batch may hold; 0 from an agent that measures no batches.</param>
/// <param name="MaxBatchBytes">Largest batch body.</param>
public sealed record AgentInfo(
    string Agent, string CpuModel, int Cores, string OperatingSystem, string RuntimeVersion, IReadOnlyList<string> Providers,
    long MaxModelBytes, int QueueLimit, bool RequiresToken, int MaxBatchModels = 0, long MaxBatchBytes = 0,
    int MaxRunsPerModel = 0, int MaxSecondsPerModel = 0, long MaxInputElements = 0);

/// <summary>
/// The body of a batch request: for each model in turn, its length as an 8-byte little-endian
/// integer and then its ONNX bytes. Nothing else: no names, no padding.
/// </summary>
public static class BatchFraming
{
    public static byte[] Write(IReadOnlyList<byte[]> models)
    {
        var body = new byte[models.Sum(m => 8L + m.Length)];
        long offset = 0;
        foreach (byte[] model in models)
        {
            BitConverter.TryWriteBytes(body.AsSpan((int)offset, 8), (long)model.Length);
            model.CopyTo(body, offset + 8);
            offset += 8 + model.Length;
        }
        return body;
    }

    /// <exception cref="FormatException">The framing is broken: a length that runs past the end, or a model of zero bytes.</exception>
    public static IReadOnlyList<byte[]> Read(byte[] body)
    {
        var models = new List<byte[]>();
        long offset = 0;
        while (offset < body.Length)
        {
            if (body.Length - offset < 8)
            {
                throw new FormatException($"{body.Length - offset} stray bytes at the end of the batch");
            }
            long length = BitConverter.ToInt64(body, (int)offset);
            if (length == 0)
            {
                throw new FormatException($"model {models.Count + 1} is empty (its length is 0); an empty model is not allowed");
            }
            if (length < 0 || length > body.Length - offset - 8)
            {
                throw new FormatException($"model {models.Count + 1} claims {length:N0} bytes, but {body.Length - offset - 8:N0} are left");
            }
            models.Add(body.AsSpan((int)offset + 8, (int)length).ToArray());
            offset += 8 + length;
        }
        return models;
    }
}

/// <summary>The body of every error answer.</summary>
public sealed record AgentError(string Error);
