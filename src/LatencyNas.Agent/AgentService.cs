using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
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
/// time, its models as one batch (interleaved visits across them, or bursts). What a request asks
/// for is checked against the agent's limits first, and any model keeping data outside itself is
/// refused before ONNX Runtime sees it. Requests beyond the queue limit are refused (429); a request
/// whose idempotency key was seen before, with the same body and settings, gets the earlier result
/// (or waits for it), so a retry is never measured twice; another body under a used key is refused
/// (409). A measurement is stopped when every client waiting for it has gone away, or when it runs
/// past the agent's time limit. Models stay in memory: nothing uploaded is written to disk.
/// </summary>
public sealed class AgentService(AgentOptions options, Action<string> log)
{
    private readonly SemaphoreSlim _measuring = new(1, 1);
    private readonly ConcurrentDictionary<string, Pending> _byKey = new();
    private readonly ConcurrentQueue<string> _keyOrder = new();
    private readonly InterleavedEngine _engine = InterleavedEngine.ForThisMachine();
    private int _waiting;

    public string Name { get; } = options.Name ?? $"{Environment.MachineName}:{new Uri(options.Urls[0]).Port}";

    public AgentInfo Info => new(Name, DeviceFingerprint.HostCpuModel(), Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        OrtTimedSession.Version, OrtTimedSession.AvailableProviders, options.MaxModelBytes, options.QueueLimit, !options.Insecure,
        options.MaxBatchModels, options.MaxBatchBytes, options.MaxRunsPerModel, options.MaxSecondsPerModel, options.MaxInputElements);

    /// <summary>Measures one model (a batch of one).</summary>
    /// <exception cref="AgentRefusal">Bad settings or model, or a broken limit (400), a full queue (429), a machine too busy to measure (503).</exception>
    public async Task<MeasureResponse> MeasureAsync(byte[] model, MeasureSettings settings, string? idempotencyKey, CancellationToken clientGone = default)
    {
        var response = await MeasureBatchAsync([model], settings, idempotencyKey, clientGone);
        var item = response.Items[0];
        return item.Statistics is { } statistics
            ? new MeasureResponse(response.Agent, item.SessionMs, statistics, item.Visits)
            : throw new AgentRefusal(item.Failure!.StartsWith(InterleavedEngine.TooBusy, StringComparison.Ordinal) ? 503 : 400, item.Failure);
    }

    /// <param name="clientGone">Cancelled when the client disconnects; the measurement stops once no client waits for it.</param>
    /// <exception cref="AgentRefusal">Bad settings or batch, or a broken limit (400), a used key with another body (409), a full queue (429), a measurement over the time limit (503).</exception>
    /// <exception cref="OperationCanceledException">Every client waiting for the measurement went away.</exception>
    public async Task<BatchResponse> MeasureBatchAsync(IReadOnlyList<byte[]> models, MeasureSettings settings, string? idempotencyKey, CancellationToken clientGone = default)
    {
        if (Refusal(models, settings) is { } refusal)
        {
            throw new AgentRefusal(400, refusal);
        }
        string fingerprint = Fingerprint(models, settings);
        var pending = idempotencyKey is null
            ? new Pending(fingerprint)
            : _byKey.GetOrAdd(idempotencyKey, _ => new Pending(fingerprint));
        if (pending.Fingerprint != fingerprint)
        {
            throw new AgentRefusal(409, $"the Idempotency-Key '{idempotencyKey}' was used for another request (other models or settings); send a new key");
        }
        pending.Join();
        int left = 0;
        void Leave()
        {
            // Once per client: when it disconnects, or when its answer is ready.
            if (Interlocked.Exchange(ref left, 1) == 0 && pending.Leave() && idempotencyKey is not null)
            {
                _byKey.TryRemove(new KeyValuePair<string, Pending>(idempotencyKey, pending)); // stopped: a later retry measures anew
            }
        }
        using var registration = clientGone.Register(Leave);
        try
        {
            var response = await pending.Run(() => MeasureQueuedAsync(models, settings, pending.Stopped)).WaitAsync(clientGone);
            if (idempotencyKey is not null && pending.Remembered())
            {
                Remember(idempotencyKey);
            }
            return response;
        }
        catch when (idempotencyKey is not null && pending.Work is { IsCompleted: true, IsCompletedSuccessfully: false })
        {
            _byKey.TryRemove(new KeyValuePair<string, Pending>(idempotencyKey, pending)); // a failed attempt may be retried for real
            throw;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>What in the request breaks a limit of the agent, or null.</summary>
    private string? Refusal(IReadOnlyList<byte[]> models, MeasureSettings settings)
    {
        if (models.Count < 1 || models.Count > options.MaxBatchModels)
        {
            return $"a batch holds 1 to {options.MaxBatchModels} models (got {models.Count}; --max-batch-models)";
        }
        var protocol = settings.Protocol;
        var problems = protocol.Problems(asJson: true);
        if (problems.Count > 0)
        {
            return $"invalid protocol: {string.Join("; ", problems)}";
        }
        if (settings.Runtime.OptimizationProblem() is { } optimization)
        {
            return optimization;
        }
        if (settings.Runtime.Threads < 1 || settings.Runtime.Threads > Environment.ProcessorCount)
        {
            return $"threads must be between 1 and this machine's {Environment.ProcessorCount} cores (got {settings.Runtime.Threads})";
        }
        if (settings.Runtime.BatchSize < 1 || settings.Runtime.BatchSize > options.MaxInputElements)
        {
            return $"the batch size must be between 1 and {options.MaxInputElements:N0} (got {settings.Runtime.BatchSize}; --max-input-elements)";
        }
        long runs = protocol.RunsPerModel();
        if (runs > options.MaxRunsPerModel)
        {
            return $"the protocol asks up to {runs:N0} runs of a model, over the agent's limit of {options.MaxRunsPerModel:N0} (--max-runs)";
        }
        var seconds = protocol.TimePerModel();
        if (seconds.TotalSeconds > options.MaxSecondsPerModel)
        {
            return $"the protocol asks up to {seconds.TotalSeconds:0.#} s for a model, over the agent's limit of {options.MaxSecondsPerModel} s (--max-seconds)";
        }
        return null;
    }

    private async Task<BatchResponse> MeasureQueuedAsync(IReadOnlyList<byte[]> models, MeasureSettings settings, CancellationToken stopped)
    {
        if (Interlocked.Increment(ref _waiting) > options.QueueLimit + 1)
        {
            Interlocked.Decrement(ref _waiting);
            throw new AgentRefusal(429, $"busy: {options.QueueLimit} requests already wait; retry later");
        }
        try
        {
            await _measuring.WaitAsync(stopped);
            try
            {
                var limit = TimeSpan.FromSeconds((double)options.MaxSecondsPerModel * models.Count);
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopped);
                deadline.CancelAfter(limit);
                var clock = Stopwatch.StartNew();
                int seed = models.Aggregate(17, (hash, model) => hash * 31 + model.Length);
                // A model that keeps data outside itself fails alone, before ONNX Runtime sees its bytes.
                var problems = models.Select(m => ExternalDataScan.Problem(m)).ToList();
                var clean = models.Where((_, i) => problems[i] is null).ToList();
                IReadOnlyList<MeasuredModel> measured;
                try
                {
                    measured = clean.Count == 0 ? [] : await Task.Run(() =>
                        OrtTimedSession.MeasureBatch(clean, settings.Runtime, settings.Protocol, _engine, seed, deadline.Token, options.MaxInputElements));
                }
                catch (OperationCanceledException) when (!stopped.IsCancellationRequested)
                {
                    log($"stopped a measurement of {models.Count} model(s) after {clock.Elapsed.TotalSeconds:F0} s, the limit of {options.MaxSecondsPerModel} s per model");
                    throw new AgentRefusal(503, $"the measurement ran past the agent's limit of {options.MaxSecondsPerModel} s per model (--max-seconds); ask for fewer runs or fewer models");
                }
                catch (OperationCanceledException)
                {
                    log($"stopped a measurement of {models.Count} model(s) after {clock.Elapsed.TotalSeconds:F1} s: its client went away");
                    throw;
                }
                int next = 0;
                var outcomes = problems.Select(problem => problem is null ? measured[next++] : new MeasuredModel(null, problem)).ToList();
                log($"measured {models.Count} model(s) of {models.Sum(m => m.Length) / 1024:N0} KiB ({settings.Protocol.Mode.ToString().ToLowerInvariant()}): " +
                    $"{outcomes.Count(o => o.Measurement is not null)} measured, {outcomes.Count(o => o.Measurement is null)} failed, in {clock.Elapsed.TotalSeconds:F2} s");
                return new BatchResponse(Name, outcomes.Select(o => new BatchItem(
                    o.Measurement?.SessionCreationMs ?? 0, o.Measurement?.Statistics, o.Measurement?.Visits, o.Failure)).ToList());
            }
            finally
            {
                _measuring.Release();
            }
        }
        catch (DeviceUnavailableException error)
        {
            throw new AgentRefusal(400, error.Message);
        }
        catch (Core.InvalidInputException error)
        {
            throw new AgentRefusal(400, error.Message);
        }
        catch (DeviceException error) when (!error.IsTransient)
        {
            throw new AgentRefusal(400, error.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>What a key is bound to: the settings and every model's bytes.</summary>
    private static string Fingerprint(IReadOnlyList<byte[]> models, MeasureSettings settings)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(JsonSerializer.SerializeToUtf8Bytes(settings, AgentContract.Json));
        foreach (var model in models)
        {
            hash.AppendData(BitConverter.GetBytes((long)model.Length));
            hash.AppendData(model);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private void Remember(string key)
    {
        _keyOrder.Enqueue(key);
        while (_keyOrder.Count > options.RememberedResults && _keyOrder.TryDequeue(out var oldest))
        {
            _byKey.TryRemove(oldest, out _);
        }
    }

    /// <summary>
    /// One measurement and the clients waiting for it: started by the first, shared by retries with
    /// the same key, stopped when the last client still waiting goes away.
    /// </summary>
    private sealed class Pending(string fingerprint)
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _gate = new();
        private int _clients;
        private bool _remembered;

        public string Fingerprint { get; } = fingerprint;

        public Task<BatchResponse>? Work { get; private set; }

        public CancellationToken Stopped => _stop.Token;

        public Task<BatchResponse> Run(Func<Task<BatchResponse>> start)
        {
            lock (_gate)
            {
                return Work ??= start();
            }
        }

        public void Join()
        {
            lock (_gate)
            {
                _clients++;
            }
        }

        /// <returns>True when this was the last client and the unfinished measurement was stopped.</returns>
        public bool Leave()
        {
            lock (_gate)
            {
                if (--_clients == 0 && Work is not { IsCompleted: true })
                {
                    _stop.Cancel();
                    return true;
                }
                return false;
            }
        }

        /// <returns>True the first time: the caller records the key once.</returns>
        public bool Remembered()
        {
            lock (_gate)
            {
                bool first = !_remembered;
                _remembered = true;
                return first;
            }
        }
    }
}
