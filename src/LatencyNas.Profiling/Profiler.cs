using LatencyNas.Core.Measurements;
using System.Diagnostics;
using System.Threading.Channels;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using LatencyNas.Profiling.Store;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace LatencyNas.Profiling;

/// <summary>
/// Profiles architectures on one device into the store: probes the device, skips what the store
/// already holds, prepares the next models on a free core while the current one is measured,
/// and wraps each measurement in a Polly pipeline (per-attempt timeout, retry of transient
/// faults and timeouts, and a circuit breaker that stops a device that keeps failing). Each
/// finished measurement, or failure with its reason, is committed before the next begins.
/// </summary>
public sealed class Profiler
{
    private readonly IDeviceRunner _runner;
    private readonly ProfileStore _store;
    private readonly ProfileOptions _options;

    public Profiler(IDeviceRunner runner, ProfileStore store, ProfileOptions options)
    {
        _runner = runner;
        _store = store;
        var problems = options.Problems();
        _options = problems.Count == 0 ? options : throw new Core.InvalidInputException($"Invalid profile options: {string.Join("; ", problems)}.");
    }

    /// <exception cref="DeviceUnavailableException">The device is absent (checked before anything is written).</exception>
    public async Task<ProfileSummary> RunAsync(
        SearchSpace space, IReadOnlyList<Architecture> architectures, IProgress<ProfileProgress>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var fingerprint = await _runner.ProbeAsync(cancellation);
        var kind = _runner.Device.Runtime == Devices.DeviceRuntime.Remote ? DeviceKind.Remote : DeviceKind.Live;
        var device = _store.Devices.EnsureMeasured(_runner.Device, fingerprint, kind);
        var settled = _store.Measurements.Settled(device, space, _options.Session, includeFailed: !_options.RetryFailed);
        var requested = architectures.Distinct().ToList();
        var pending = requested.Where(a => !settled.Contains(a.Digits)).ToList();
        int alreadyStored = requested.Count - pending.Count;

        var failures = new List<ProfileFailure>();
        var medians = new List<double>();
        string? stopReason = null;
        var pipeline = BuildPipeline();
        var gate = new Lock();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);

        void Stop(string reason)
        {
            lock (gate)
            {
                stopReason ??= reason;
            }
            stop.Cancel();
        }

        // One measurement at a time for a local device; one per agent for a remote one.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _runner.Concurrency), CancellationToken = CancellationToken.None };
        await Parallel.ForEachAsync(PrepareAsync(space, pending, stop.Token), parallel, async (item, _) =>
        {
            var (request, model, preparationError) = item;
            using var prepared = model;
            if (stop.IsCancellationRequested)
            {
                return;
            }
            Measurement? measurement = null;
            string? failure = null, agent = null;
            if (preparationError is not null)
            {
                failure = $"model preparation failed: {OneLine(preparationError)}";
            }
            else
            {
                try
                {
                    measurement = await pipeline.ExecuteAsync(
                        async token => await _runner.MeasureAsync(model!, _options.Protocol, token), stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        Stop("cancelled");
                    }
                    return; // stopped by the breaker or the user: this architecture stays pending
                }
                catch (BrokenCircuitException)
                {
                    string last;
                    lock (gate)
                    {
                        last = failures.LastOrDefault()?.Reason ?? "unknown";
                    }
                    Stop($"stopped because the device kept failing; last failure: {last}");
                    return;
                }
                catch (Exception error)
                {
                    failure = Describe(error);
                    agent = (error as DeviceException)?.Agent;
                }
            }
            // Outside the device-fault handling on purpose: a store that cannot write is not a device
            // failure, and must stop the run rather than turn a good measurement into a failure record.
            if (measurement is not null)
            {
                _store.Measurements.Record(device, space, request, _options.Session, measurement);
            }
            else
            {
                _store.Measurements.RecordFailure(device, space, request, _options.Session, failure!, agent);
            }
            double? lastMedian = measurement?.Statistics.MedianMs;
            lock (gate)
            {
                if (failure is not null)
                {
                    failures.Add(new ProfileFailure(request.Architecture, failure));
                }
                else
                {
                    medians.Add(lastMedian!.Value);
                }
                progress?.Report(new ProfileProgress(
                    medians.Count + failures.Count, pending.Count, failures.Count, clock.Elapsed, request.Architecture, lastMedian));
            }
        });
        return new ProfileSummary(
            device.Name, requested.Count, alreadyStored, medians.Count, failures, stopReason, clock.Elapsed,
            medians.Count > 0 ? Descriptive.Median(medians) : null);
    }

    /// <summary>
    /// The prepared models in order. When the runner allows, a background thread prepares up to
    /// <see cref="ProfileOptions.PrepareAhead"/> models ahead; otherwise each is prepared on the
    /// measuring thread just before it is measured, keeping the other cores quiet.
    /// </summary>
    private async IAsyncEnumerable<(ModelRequest Request, IPreparedModel? Model, Exception? Error)> PrepareAsync(
        SearchSpace space, IReadOnlyList<Architecture> pending, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        var requests = pending.Select(a => _runner.Device.RequestFor(space, a, _options.WeightSeed));
        if (!_options.OverlapPreparation || !_runner.CanPrepareConcurrently)
        {
            foreach (var request in requests)
            {
                if (cancellation.IsCancellationRequested)
                {
                    yield break;
                }
                yield return Prepare(request);
            }
            yield break;
        }

        var channel = Channel.CreateBounded<(ModelRequest, IPreparedModel?, Exception?)>(
            new BoundedChannelOptions(Math.Max(_options.PrepareAhead, _runner.Concurrency)) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var producer = Task.Factory.StartNew(async () =>
        {
            try
            {
                foreach (var request in requests)
                {
                    var item = Prepare(request);
                    try
                    {
                        await channel.Writer.WriteAsync(item, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        item.Item2?.Dispose();
                        break;
                    }
                }
            }
            finally
            {
                channel.Writer.Complete();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(CancellationToken.None))
            {
                yield return item;
            }
        }
        finally
        {
            // The loop stopped early (breaker, cancellation): stop the producer and free what it made.
            stop.Cancel();
            await producer;
            while (channel.Reader.TryRead(out var leftover))
            {
                leftover.Item2?.Dispose();
            }
        }
    }

    private (ModelRequest, IPreparedModel?, Exception?) Prepare(ModelRequest request)
    {
        try
        {
            return (request, _runner.Prepare(request), null);
        }
        catch (Exception error)
        {
            return (request, null, error);
        }
    }

    private ResiliencePipeline<Measurement> BuildPipeline() => new ResiliencePipelineBuilder<Measurement>()
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions<Measurement>
        {
            FailureRatio = _options.BreakerFailureRatio,
            MinimumThroughput = _options.BreakerMinimumThroughput,
            SamplingDuration = _options.BreakerSamplingDuration,
            BreakDuration = TimeSpan.FromHours(1), // an open breaker ends the run; it never needs to half-open
            ShouldHandle = new PredicateBuilder<Measurement>().Handle<Exception>(e => e is not OperationCanceledException || e is TimeoutRejectedException),
        })
        .AddRetry(new RetryStrategyOptions<Measurement>
        {
            MaxRetryAttempts = Math.Max(_options.MaxRetries, 0),
            Delay = _options.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = new PredicateBuilder<Measurement>()
                .Handle<TimeoutRejectedException>()
                .Handle<Core.LatencyNasException>(e => e.IsTransient),
        })
        .AddTimeout(_options.AttemptTimeout)
        .Build();

    private string Describe(Exception error) => error switch
    {
        TimeoutRejectedException => $"timed out after {_options.AttemptTimeout.TotalSeconds:0.#} s ({_options.MaxRetries + 1} attempts)",
        Core.LatencyNasException { IsTransient: true } => $"{OneLine(error)} (still failing after {_options.MaxRetries} retries)",
        Core.LatencyNasException => OneLine(error),
        _ => $"{error.GetType().Name}: {OneLine(error)}",
    };

    private static string OneLine(Exception error) => error.Message.Split('\n', 2)[0].Trim();
}
