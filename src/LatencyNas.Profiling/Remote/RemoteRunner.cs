using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace LatencyNas.Profiling.Remote;

/// <summary>
/// Measures on edge devices through their <c>latnas agent</c>s. Each agent gets an HTTP client with
/// its own Polly pipeline — a per-attempt timeout, jittered exponential retries of transient faults
/// (connection refused, 5xx, 429, timeouts) and a circuit breaker — and measures one model at a
/// time; with several agents of the same device kind, one profile is spread over all of them. A
/// prepared model carries an idempotency key, so a retried request is answered from the agent's
/// record instead of being measured twice. An agent that stops answering (restarted, rebooted, off
/// the network) is waited for, probing <c>/healthz</c>, for the descriptor's outage grace before its
/// measurements count as failed.
/// </summary>
public sealed class RemoteRunner : IDeviceRunner
{
    private readonly IOnnxModelSource _models;
    private readonly IReadOnlyList<Agent> _agents;
    private readonly Channel<Agent> _idle;

    public RemoteRunner(DeviceDescriptor device, IOnnxModelSource models, Func<HttpMessageHandler>? handlerFactory = null)
    {
        if (device.Runtime != DeviceRuntime.Remote || device.Remote is null)
        {
            throw new ArgumentException($"Device '{device.Name}' is not a remote device.", nameof(device));
        }
        Device = device;
        _models = models;
        string? token = ReadToken(device.Remote);
        _agents = device.Remote.Endpoints.Select(endpoint => new Agent(endpoint, token, device.Remote.AttemptTimeout, handlerFactory?.Invoke())).ToList();
        _idle = Channel.CreateUnbounded<Agent>();
        foreach (var agent in _agents)
        {
            _idle.Writer.TryWrite(agent);
        }
    }

    public DeviceDescriptor Device { get; }

    /// <summary>Measurement happens on the agents, so this machine's cores are free for preparing models.</summary>
    public bool CanPrepareWhileMeasuring(MeasurementMode mode) => true;

    public int Concurrency => _agents.Count;

    public TimeSpan OutageGrace => Device.Remote!.OutageGrace;

    /// <exception cref="DeviceUnavailableException">An agent does not answer, refuses the token, or differs from the others.</exception>
    public async Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation)
    {
        var infos = new List<AgentInfo>();
        foreach (var agent in _agents)
        {
            infos.Add(await agent.InfoAsync(cancellation));
        }
        var first = infos[0];
        foreach (var other in infos.Skip(1))
        {
            if (other.CpuModel != first.CpuModel || other.Cores != first.Cores || other.RuntimeVersion != first.RuntimeVersion)
            {
                throw new DeviceUnavailableException(
                    $"Agents of one device must be the same kind: {first.Agent} is {first.CpuModel} ({first.Cores} cores, ONNX Runtime {first.RuntimeVersion}), " +
                    $"{other.Agent} is {other.CpuModel} ({other.Cores} cores, ONNX Runtime {other.RuntimeVersion}).");
            }
        }
        if (Device.Provider == ExecutionProvider.Cuda && infos.Any(i => !i.Providers.Contains(OrtTimedSession.CudaProvider)))
        {
            throw new DeviceUnavailableException($"CUDA was requested but agent {infos.First(i => !i.Providers.Contains(OrtTimedSession.CudaProvider)).Agent} has only {string.Join(", ", first.Providers)}.");
        }
        return new DeviceFingerprint(first.CpuModel, first.Cores, first.OperatingSystem, "remote", $"onnxruntime {first.RuntimeVersion}",
            Device.Provider.ToString().ToLowerInvariant(), Device.Threads, Device.Optimization, Device.BatchSize, Device.Dataset.Height, Device.Dataset.Name, Device.Spinning);
    }

    /// <summary>
    /// Checks what <paramref name="protocol"/> asks of one model against the limits each agent stated when
    /// <see cref="ProbeAsync"/> asked (<c>/v1/info</c>): an agent refuses every request over them, and a
    /// profile would store each architecture as failed.
    /// </summary>
    /// <exception cref="InvalidInputException">A setting exceeds an agent's limit; the message names both and what to change.</exception>
    public void CheckProtocol(MeasurementProtocol protocol)
    {
        foreach (var agent in _agents)
        {
            if (agent.Info is not { } info)
            {
                continue;
            }
            string which = $"agent {info.Agent} at {agent.Endpoint}";
            if (Device.Threads > info.Cores)
            {
                throw new InvalidInputException(
                    $"Device '{Device.Name}' asks for {Device.Threads} threads, but {which} has {info.Cores} cores; set the descriptor's threads to at most {info.Cores}.");
            }
            long runs = protocol.RunsPerModel();
            if (info.MaxRunsPerModel > 0 && runs > info.MaxRunsPerModel)
            {
                throw new InvalidInputException(
                    $"Device '{Device.Name}': its protocol asks up to {runs:N0} runs of a model ({protocol.RunsPerModelTerms()}), over the limit of {info.MaxRunsPerModel:N0} " +
                    $"of {which}; lower these in the descriptor's protocol to at most {info.MaxRunsPerModel:N0} runs, or start the agent with --max-runs {runs} or more.");
            }
            double seconds = protocol.TimePerModel().TotalSeconds;
            if (info.MaxSecondsPerModel > 0 && seconds > info.MaxSecondsPerModel)
            {
                throw new InvalidInputException(
                    $"Device '{Device.Name}': its protocol asks up to {seconds:0.#} s for a model ({protocol.TimePerModelTerms()}), over the limit of {info.MaxSecondsPerModel} s " +
                    $"of {which}; lower these in the descriptor's protocol to at most {info.MaxSecondsPerModel} s, or start the agent with --max-seconds {Math.Ceiling(seconds)} or more.");
            }
        }
    }

    public IPreparedModel Prepare(ModelRequest request, int instances = 1) => new RemoteModel(request, _models.Export(request), Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Sends the batch to one idle agent, in as many requests as its limits need; the agent measures
    /// each request's models as a batch of its own (interleaved visits across them, or bursts).
    /// </summary>
    /// <exception cref="DeviceUnavailableException">The agent is an older one that measures no batches, or not with this protocol's estimate.</exception>
    public async Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var models = batch.Select(m => m as RemoteModel ?? throw new ArgumentException("The remote runner measures models it prepared.", nameof(batch))).ToList();
        var agent = await TakeAgentAsync(cancellation);
        try
        {
            var info = agent.Info ?? await agent.InfoAsync(cancellation);
            if (info.MaxBatchModels < 1)
            {
                throw new DeviceUnavailableException(
                    $"The agent at {agent.Endpoint} is an older latnas agent that measures no batches ({AgentContract.MeasureBatchPath}); update it to this version.");
            }
            var settings = new MeasureSettings(OrtSettings.From(Device), protocol);
            var outcomes = new List<ModelOutcome>(models.Count);
            foreach (var request in Requests(models, info))
            {
                var response = await agent.MeasureBatchAsync(request, settings, OutageGrace, cancellation);
                if (response.Items.Count != request.Count)
                {
                    throw new DeviceException($"agent {agent.Endpoint} answered for {response.Items.Count} models of {request.Count}", isTransient: true, agent: agent.Endpoint.Authority);
                }
                if (response.Items.FirstOrDefault(i => i.Statistics is not null && i.Statistics.Estimator != protocol.Estimator)?.Statistics is { } other)
                {
                    // An agent from before instances_per_architecture reads the protocol without it and measures one session.
                    throw new DeviceUnavailableException(
                        $"The agent at {agent.Endpoint} estimated latencies as {other.Estimator} where this profile's protocol asks for {protocol.Estimator}: " +
                        $"it is an older latnas agent; update it to this version, or set \"instances_per_architecture\": {LatencyStatistics.InstancesOf(other.Estimator)} " +
                        "in the descriptor's protocol block.");
                }
                outcomes.AddRange(request.Zip(response.Items, (model, item) => item.Statistics is { } statistics
                    ? ModelOutcome.Measured(model.Request, new Measurement(statistics, item.SessionMs, response.Agent, item.Visits))
                    : ModelOutcome.Failed(model.Request, item.Failure ?? "the agent measured nothing", response.Agent)));
            }
            return outcomes;
        }
        finally
        {
            _idle.Writer.TryWrite(agent);
        }
    }

    /// <summary>
    /// Splits a batch into requests within the agent's model count and body size, of about equal
    /// count: 80 models under a limit of 64 go as 40 + 40, not 64 + 16, whose short rounds would fall
    /// in one slow spell.
    /// </summary>
    private static IEnumerable<List<RemoteModel>> Requests(IReadOnlyList<RemoteModel> models, AgentInfo info)
    {
        int parts = (models.Count + info.MaxBatchModels - 1) / info.MaxBatchModels;
        int perRequest = (models.Count + parts - 1) / Math.Max(1, parts);
        var request = new List<RemoteModel>();
        long bytes = 0;
        foreach (var model in models)
        {
            long size = 8L + model.Bytes.Length;
            if (request.Count > 0 && (request.Count >= perRequest || bytes + size > info.MaxBatchBytes))
            {
                yield return request;
                request = [];
                bytes = 0;
            }
            request.Add(model);
            bytes += size;
        }
        if (request.Count > 0)
        {
            yield return request;
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            agent.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>An idle agent, preferring one whose circuit is closed.</summary>
    private async Task<Agent> TakeAgentAsync(CancellationToken cancellation)
    {
        var agent = await _idle.Reader.ReadAsync(cancellation);
        if (agent.CircuitOpen && _agents.Count > 1)
        {
            // Give a healthy idle agent the work, if one is waiting.
            if (_idle.Reader.TryRead(out var other))
            {
                _idle.Writer.TryWrite(agent);
                return other;
            }
        }
        return agent;
    }

    private static string? ReadToken(RemoteEndpoint remote)
    {
        if (remote.TokenEnvironmentVariable is { } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment.Trim();
        }
        if (remote.TokenFile is { } file)
        {
            try
            {
                return File.ReadAllText(file).Trim();
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new DeviceUnavailableException($"Cannot read the agent token file '{file}': {error.Message}");
            }
        }
        return null;
    }

    private sealed record RemoteModel(ModelRequest Request, byte[] Bytes, string IdempotencyKey) : IPreparedModel
    {
        public void Dispose()
        {
        }
    }

    /// <summary>One agent: its HTTP client and resilience pipeline.</summary>
    private sealed class Agent : IDisposable
    {
        private static readonly ResiliencePropertyKey<int> ModelsInRequest = new("latnas.models-in-request");

        private readonly HttpClient _http;
        private readonly ResiliencePipeline _pipeline;
        private readonly CircuitBreakerStateProvider _circuit = new();

        private readonly TimeSpan _probeTimeout;

        /// <summary>When the agent last stopped answering (a timestamp), or null while it answers.</summary>
        private long? _unreachableSince;

        public Agent(Uri endpoint, string? token, TimeSpan attemptTimeout, HttpMessageHandler? handler)
        {
            Endpoint = endpoint;
            _probeTimeout = attemptTimeout < TimeSpan.FromSeconds(30) ? attemptTimeout : TimeSpan.FromSeconds(30);
            _http = handler is null ? new HttpClient() : new HttpClient(handler);
            _http.BaseAddress = endpoint;
            _http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's per-attempt timeout governs
            if (token is not null)
            {
                _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            _pipeline = new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    MaxRetryAttempts = 3,
                    Delay = TimeSpan.FromMilliseconds(200),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = new PredicateBuilder().Handle<DeviceException>(e => e.IsTransient).Handle<TimeoutRejectedException>(),
                })
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.8,
                    MinimumThroughput = 4,
                    SamplingDuration = TimeSpan.FromSeconds(60),
                    BreakDuration = TimeSpan.FromSeconds(5),
                    ShouldHandle = new PredicateBuilder().Handle<DeviceException>(e => e.IsTransient).Handle<TimeoutRejectedException>(),
                    StateProvider = _circuit,
                })
                .AddTimeout(new TimeoutStrategyOptions
                {
                    // The descriptor's timeout is per model: a request of n models may take n times as long.
                    TimeoutGenerator = arguments => ValueTask.FromResult(attemptTimeout * Math.Max(1, arguments.Context.Properties.GetValue(ModelsInRequest, 1))),
                })
                .Build();
        }

        public Uri Endpoint { get; }

        /// <summary>What the agent said about itself when last asked.</summary>
        public AgentInfo? Info { get; private set; }

        public bool CircuitOpen => _circuit.CircuitState is CircuitState.Open or CircuitState.Isolated;

        public async Task<AgentInfo> InfoAsync(CancellationToken cancellation)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(_probeTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.GetAsync(AgentContract.InfoPath, timeout.Token);
            }
            catch (HttpRequestException error)
            {
                throw new DeviceUnavailableException($"No agent answers at {Endpoint}: {error.Message}. Start it with `latnas agent --urls {Endpoint}`.", error);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new DeviceUnavailableException($"The agent at {Endpoint} accepted the connection but did not answer within {_probeTimeout.TotalSeconds:0.#} s.");
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    throw new DeviceUnavailableException(
                        $"The agent at {Endpoint} refused the token (401 Unauthorized): set the descriptor's remote.token_env variable or token_file to the agent's token.");
                }
                if (!response.IsSuccessStatusCode)
                {
                    throw new DeviceUnavailableException($"The agent at {Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase}: {await ErrorText(response, timeout.Token)}");
                }
                Info = await response.Content.ReadFromJsonAsync<AgentInfo>(AgentContract.Json, timeout.Token)
                       ?? throw new DeviceUnavailableException($"The agent at {Endpoint} sent an empty description.");
                return Info;
            }
        }

        /// <summary>
        /// One batch request that rides out an outage: when the agent stops answering, waits until its
        /// <c>/healthz</c> answers again and sends the request again, for at most <paramref name="grace"/>
        /// counted from the first failure. After the grace, a request fails at once until the agent answers.
        /// </summary>
        /// <exception cref="DeviceException">The agent failed, or stayed away longer than the grace.</exception>
        public async Task<BatchResponse> MeasureBatchAsync(IReadOnlyList<RemoteModel> models, MeasureSettings settings, TimeSpan grace, CancellationToken cancellation)
        {
            while (true)
            {
                try
                {
                    var response = await SendBatchAsync(models, settings, cancellation);
                    _unreachableSince = null;
                    return response;
                }
                catch (AgentUnreachableException error) when (!cancellation.IsCancellationRequested)
                {
                    _unreachableSince ??= System.Diagnostics.Stopwatch.GetTimestamp();
                    var away = System.Diagnostics.Stopwatch.GetElapsedTime(_unreachableSince.Value);
                    if (away >= grace || !await AnswersAgainAsync(grace - away, cancellation))
                    {
                        throw new DeviceException(
                            $"{error.Message}; it did not come back within {grace.TotalSeconds:0.#} s (remote.outage_grace_seconds)", isTransient: true, error, Endpoint.Authority);
                    }
                }
            }
        }

        /// <summary>Polls <c>/healthz</c> once a second until it answers 200 or <paramref name="within"/> has passed.</summary>
        private async Task<bool> AnswersAgainAsync(TimeSpan within, CancellationToken cancellation)
        {
            var deadline = DateTime.UtcNow + within;
            while (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
                using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                probe.CancelAfter(TimeSpan.FromSeconds(2));
                try
                {
                    using var response = await _http.GetAsync(AgentContract.HealthPath, probe.Token);
                    if (response.IsSuccessStatusCode)
                    {
                        return true;
                    }
                }
                catch (Exception error) when (error is HttpRequestException || (error is OperationCanceledException && !cancellation.IsCancellationRequested))
                {
                    // still away
                }
            }
            return false;
        }

        /// <summary>One batch request; a retry after a timeout or a dropped connection carries the same idempotency key.</summary>
        private async Task<BatchResponse> SendBatchAsync(IReadOnlyList<RemoteModel> models, MeasureSettings settings, CancellationToken cancellation)
        {
            string query = $"{AgentContract.MeasureBatchPath}?{AgentContract.SettingsParameter}={Uri.EscapeDataString(JsonSerializer.Serialize(settings, AgentContract.Json))}";
            byte[] body = BatchFraming.Write(models.Select(m => m.Bytes).ToList());
            string key = string.Join("+", models.Select(m => m.IdempotencyKey));
            key = models.Count == 1 ? key : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(key)));
            var context = ResilienceContextPool.Shared.Get(cancellation);
            context.Properties.Set(ModelsInRequest, models.Count);
            try
            {
                return await _pipeline.ExecuteAsync(async context =>
                {
                    var token = context.CancellationToken;
                    using var request = new HttpRequestMessage(HttpMethod.Post, query) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue(AgentContract.BatchContentType);
                    request.Headers.Add(AgentContract.IdempotencyHeader, key);
                    request.Headers.ExpectContinue = true; // a refused batch (401, 413) is never uploaded
                    HttpResponseMessage response;
                    try
                    {
                        response = await _http.SendAsync(request, token);
                    }
                    catch (HttpRequestException error)
                    {
                        throw new AgentUnreachableException($"agent {Endpoint} unreachable: {error.Message}", error, Endpoint.Authority);
                    }
                    using (response)
                    {
                        if (response.IsSuccessStatusCode)
                        {
                            return await response.Content.ReadFromJsonAsync<BatchResponse>(AgentContract.Json, token)
                                   ?? throw new DeviceException($"agent {Endpoint} sent an empty answer", isTransient: true, agent: Endpoint.Authority);
                        }
                        if (response.StatusCode == HttpStatusCode.NotFound)
                        {
                            throw new DeviceUnavailableException(
                                $"The agent at {Endpoint} is an older latnas agent that measures no batches ({AgentContract.MeasureBatchPath}); update it to this version.");
                        }
                        string reason = $"agent {Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase}: {await ErrorText(response, token)}";
                        bool transient = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)response.StatusCode >= 500;
                        throw new DeviceException(reason, transient, agent: Endpoint.Authority);
                    }
                }, context);
            }
            catch (TimeoutRejectedException error)
            {
                throw new AgentUnreachableException($"agent {Endpoint} did not answer within {error.Timeout.TotalSeconds:0.#} s", error, Endpoint.Authority);
            }
            catch (BrokenCircuitException error)
            {
                throw new AgentUnreachableException($"agent {Endpoint} keeps failing (circuit open)", error, Endpoint.Authority);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        public void Dispose() => _http.Dispose();

        private static async Task<string> ErrorText(HttpResponseMessage response, CancellationToken cancellation)
        {
            string body = await response.Content.ReadAsStringAsync(cancellation);
            try
            {
                return JsonSerializer.Deserialize<AgentError>(body, AgentContract.Json)?.Error ?? body;
            }
            catch (JsonException)
            {
                return body.Length > 200 ? body[..200] : body;
            }
        }
    }

    /// <summary>The agent did not answer at all (connection refused or dropped, no answer in time, circuit open): it may come back.</summary>
    private sealed class AgentUnreachableException(string message, Exception inner, string agent) : DeviceException(message, isTransient: true, inner, agent);
}
