using System.Collections.Concurrent;
using System.Diagnostics;
using LatencyNas.Core.Measurements;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Remote;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Agent;

/// <summary>Why a measurement request was refused, as an HTTP status and a message.</summary>
public sealed class AgentRefusal(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Measures uploaded models with the same protocol and statistics as a local run: one request at a
/// time, its models as one batch (interleaved visits across them, or bursts). Requests beyond the
/// queue limit are refused (429); a request whose idempotency key was seen before gets the earlier
/// result (or waits for it), so a retry is never measured twice. Models stay in memory: nothing
/// uploaded is written to disk.
/// </summary>
public sealed class AgentService(AgentOptions options, Action<string> log)
{
    private readonly SemaphoreSlim _measuring = new(1, 1);
    private readonly ConcurrentDictionary<string, Lazy<Task<BatchResponse>>> _byKey = new();
    private readonly ConcurrentQueue<string> _keyOrder = new();
    private readonly InterleavedEngine _engine = InterleavedEngine.ForThisMachine();
    private int _waiting;

    public string Name { get; } = options.Name ?? $"{Environment.MachineName}:{new Uri(options.Urls[0]).Port}";

    public AgentInfo Info => new(Name, DeviceFingerprint.HostCpuModel(), Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        OrtTimedSession.Version, OrtTimedSession.AvailableProviders, options.MaxModelBytes, options.QueueLimit, !options.Insecure,
        options.MaxBatchModels, options.MaxBatchBytes);

    /// <summary>Measures one model (a batch of one).</summary>
    /// <exception cref="AgentRefusal">Bad settings or model (400), a full queue (429), a machine too busy to measure (503).</exception>
    public async Task<MeasureResponse> MeasureAsync(byte[] model, MeasureSettings settings, string? idempotencyKey)
    {
        var response = await MeasureBatchAsync([model], settings, idempotencyKey);
        var item = response.Items[0];
        return item.Statistics is { } statistics
            ? new MeasureResponse(response.Agent, item.SessionMs, statistics, item.Visits)
            : throw new AgentRefusal(item.Failure!.StartsWith("the machine stayed too busy", StringComparison.Ordinal) ? 503 : 400, item.Failure);
    }

    /// <exception cref="AgentRefusal">Bad settings or batch (400), a full queue (429).</exception>
    public async Task<BatchResponse> MeasureBatchAsync(IReadOnlyList<byte[]> models, MeasureSettings settings, string? idempotencyKey)
    {
        var problems = settings.Protocol.Problems();
        if (problems.Count > 0)
        {
            throw new AgentRefusal(400, $"invalid protocol: {string.Join("; ", problems)}");
        }
        if (settings.Runtime.Threads < 1 || settings.Runtime.BatchSize < 1)
        {
            throw new AgentRefusal(400, "threads and batch size must be at least 1");
        }
        if (models.Count < 1 || models.Count > options.MaxBatchModels)
        {
            throw new AgentRefusal(400, $"a batch holds 1 to {options.MaxBatchModels} models (got {models.Count})");
        }
        if (idempotencyKey is null)
        {
            return await MeasureQueuedAsync(models, settings);
        }
        var entry = _byKey.GetOrAdd(idempotencyKey, _ => new Lazy<Task<BatchResponse>>(() => MeasureQueuedAsync(models, settings)));
        bool created = !entry.IsValueCreated;
        try
        {
            var response = await entry.Value;
            if (created)
            {
                Remember(idempotencyKey);
            }
            return response;
        }
        catch
        {
            _byKey.TryRemove(idempotencyKey, out _); // a failed attempt may be retried for real
            throw;
        }
    }

    private async Task<BatchResponse> MeasureQueuedAsync(IReadOnlyList<byte[]> models, MeasureSettings settings)
    {
        if (Interlocked.Increment(ref _waiting) > options.QueueLimit + 1)
        {
            Interlocked.Decrement(ref _waiting);
            throw new AgentRefusal(429, $"busy: {options.QueueLimit} requests already wait; retry later");
        }
        await _measuring.WaitAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            // Runs on a thread-pool thread of its own; the request's cancellation is ignored on purpose:
            // a client that timed out retries with the same key and receives this result.
            int seed = models.Aggregate(17, (hash, model) => hash * 31 + model.Length);
            var outcomes = await Task.Run(() => OrtTimedSession.MeasureBatch(models, settings.Runtime, settings.Protocol, _engine, seed, CancellationToken.None));
            log($"measured {models.Count} model(s) of {models.Sum(m => m.Length) / 1024:N0} KiB ({settings.Protocol.Mode.ToString().ToLowerInvariant()}): " +
                $"{outcomes.Count(o => o.Measurement is not null)} measured, {outcomes.Count(o => o.Measurement is null)} failed, in {clock.Elapsed.TotalSeconds:F2} s");
            return new BatchResponse(Name, outcomes.Select(o => new BatchItem(
                o.Measurement?.SessionCreationMs ?? 0, o.Measurement?.Statistics, o.Measurement?.Visits, o.Failure)).ToList());
        }
        catch (DeviceUnavailableException error)
        {
            throw new AgentRefusal(400, error.Message);
        }
        catch (DeviceException error) when (!error.IsTransient)
        {
            throw new AgentRefusal(400, error.Message);
        }
        finally
        {
            _measuring.Release();
            Interlocked.Decrement(ref _waiting);
        }
    }

    private void Remember(string key)
    {
        _keyOrder.Enqueue(key);
        while (_keyOrder.Count > options.RememberedResults && _keyOrder.TryDequeue(out var oldest))
        {
            _byKey.TryRemove(oldest, out _);
        }
    }
}
