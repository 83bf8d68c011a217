using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LatencyNas.Profiling;

/// <summary>
/// Profiles architectures on one device into the store: probes the device, skips what the store
/// already holds, and measures the rest in batches (interleaved visits across each batch; one
/// architecture per batch with the burst protocol). Each batch runs in a Polly pipeline — a timeout
/// per attempt that grows with the batch, and retries of transient faults and timeouts — and its
/// outcomes, measurements and failures with their reasons, are committed together before the next
/// batch's, so a profile killed midway measures the interrupted batch again, whole. The run stops
/// when most architectures keep failing (a breaker counted per architecture).
/// </summary>
public sealed class Profiler
{
    private static readonly ResiliencePropertyKey<int> ArchitecturesInBatch = new("latnas.architectures-in-batch");

    /// <summary>Draws a space's reference architectures: fixed, so that every profile of a device measures the same ones.</summary>
    private const int ReferenceSeed = 1_201;

    /// <summary>
    /// The batches of the profile that stores a device's references over which the reference is the fastest each ran
    /// (the first one, measured alone, and three more): a single batch's references can sit in a slow spell throughout.
    /// </summary>
    public const int ReferenceBatches = 4;

    /// <summary>How long a claim on an architecture lasts unless renewed; claims are renewed four times as often.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    private readonly string _owner;
    private readonly IDeviceRunner _runner;
    private readonly ProfileStore _store;
    private readonly ProfileOptions _options;

    public Profiler(IDeviceRunner runner, ProfileStore store, ProfileOptions options)
    {
        _runner = runner;
        _store = store;
        var problems = options.Problems();
        _options = problems.Count == 0 ? options : throw new InvalidInputException($"Invalid profile options: {string.Join("; ", problems)}.");
        _owner = options.ClaimOwner ?? ClaimRecords.Owner();
    }

    /// <summary>Probes the runner's device and registers it in the store, or checks it against the device the store knows.</summary>
    /// <exception cref="DeviceUnavailableException">The device is absent (checked before anything is written).</exception>
    /// <exception cref="ProfileStoreException">The store knows the device with another fingerprint.</exception>
    public static async Task<StoredDevice> RegisterAsync(IDeviceRunner runner, ProfileStore store, CancellationToken cancellation)
    {
        var fingerprint = await runner.ProbeAsync(cancellation);
        var kind = runner.Device.Runtime == DeviceRuntime.Remote ? DeviceKind.Remote : DeviceKind.Live;
        return store.Devices.EnsureMeasured(runner.Device, fingerprint, kind);
    }

    /// <exception cref="DeviceUnavailableException">The device is absent (checked before anything is written).</exception>
    public async Task<ProfileSummary> RunAsync(
        SearchSpace space, IReadOnlyList<Architecture> architectures, IProgress<ProfileProgress>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var leftToOthers = new StrongBox<int>(); // counted by the preparation, which may run on another thread
        var device = await RegisterAsync(_runner, _store, cancellation);
        RefuseAnotherEstimator(device, space);
        var settled = _store.Measurements.Settled(device, space, _options.Session, includeFailed: !_options.RetryFailed);
        var requested = architectures.Distinct().ToList();
        var outstanding = _store.Measurements.OutstandingFailures(device, space, _options.Session);
        var failedBefore = requested.Where(a => outstanding.ContainsKey(a.Digits)).ToList();
        int givenUp = _options.GiveUpFailed ? _store.Measurements.GiveUp(device, space, _options.Session, failedBefore.Select(a => a.Digits).ToList()) : 0;
        // Retried ones are measured again by this run and reported with its own outcomes.
        var earlierFailures = _options.RetryFailed || _options.GiveUpFailed
            ? new List<ProfileFailure>()
            : failedBefore.Select(a => new ProfileFailure(a, outstanding[a.Digits])).ToList();
        var pending = requested.Where(a => !settled.Contains(a.Digits)).ToList();
        int alreadyStored = requested.Count - pending.Count;
        var batchSizes = BatchSizes(pending.Count, _options.Protocol, _options.OverlapPreparation && _runner.CanPrepareWhileMeasuring(_options.Protocol.Mode));

        var failures = new List<ProfileFailure>();
        var latencies = new Dictionary<string, double>(StringComparer.Ordinal); // as stored, by digits
        var precise = new HashSet<string>(StringComparer.Ordinal);
        int visits = 0, contended = 0;
        var stored = new List<StoredBatch>();
        var breaker = new FailureBreaker(_options);
        string? stopReason = null;
        var pipeline = BuildPipeline();
        var referenceDigits = ReferenceArchitectures(space);
        var referenceRequests = referenceDigits.Select(a => _runner.Device.RequestFor(space, a, _options.WeightSeed)).ToList();
        // While this run is establishing the device's references: its first batches, as measured, and where they are in `stored`.
        List<(int Index, ReferenceBatch Batch)>? establishing = referenceDigits.Count > 0 && _store.Measurements.References(device, space).Count == 0 ? [] : null;
        var establishingGate = new Lock();
        // The batch that stores the device's references sets its scale: it is measured with nothing prepared beside it on
        // this machine (a remote device is not disturbed by what this machine prepares).
        var referenceMeasured = establishing is not null && _runner.Device.Runtime != DeviceRuntime.Remote
            ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
            : null;
        var gate = new Lock();
        long measuringTicks = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);

        void Stop(string reason)
        {
            lock (gate)
            {
                stopReason ??= reason;
            }
            stop.Cancel();
        }

        // One batch at a time for a local device; one per agent for a remote one.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _runner.Concurrency), CancellationToken = CancellationToken.None };
        using var renewing = new CancellationTokenSource();
        var renewal = RenewClaimsAsync(renewing.Token);
        try
        {
            await Parallel.ForEachAsync(PrepareAsync(device, space, pending, batchSizes, referenceRequests, referenceMeasured?.Task, leftToOthers, stop.Token), parallel, async (batch, _) =>
            {
                try
                {
                    if (stop.IsCancellationRequested)
                    {
                        return;
                    }
                    var outcomes = batch.Failures.ToList();
                    Dictionary<string, double>? references = null;
                    if (batch.Models.Count > 0)
                    {
                        try
                        {
                            long measuring = Stopwatch.GetTimestamp();
                            var measured = await MeasureUndisturbedAsync(pipeline, [.. batch.Models, .. batch.ReferenceModels], stop.Token);
                            Interlocked.Add(ref measuringTicks, Stopwatch.GetTimestamp() - measuring);
                            references = ReferenceLatencies(measured, referenceDigits);
                            var referenceOnly = batch.ReferenceModels.Select(m => m.Request).ToHashSet();
                            outcomes.AddRange(measured.Where(o => !referenceOnly.Contains(o.Request)));
                        }
                        catch (OperationCanceledException) when (stop.IsCancellationRequested)
                        {
                            if (cancellation.IsCancellationRequested)
                            {
                                Stop("cancelled");
                            }
                            return; // stopped by the breaker or the user: this batch stays pending, whole
                        }
                        catch (Exception error) when (error is not ProfileStoreFailedException)
                        {
                            string reason = Describe(error, batch.Models.Count);
                            outcomes.AddRange(batch.Models.Select(m => ModelOutcome.Failed(m.Request, reason, (error as DeviceException)?.Agent)));
                        }
                    }
                    // Outside the device-fault handling on purpose: a store that cannot write is not a device
                    // failure, and must stop the run rather than turn good measurements into failure records.
                    var recorded = _store.Measurements.RecordBatch(device, space, _options.Session, outcomes, references, _options.Protocol.TargetRelativePrecision, _owner);
                    // This run's lease lapsed on the discarded ones and another took them over: theirs is the measurement that counts.
                    Interlocked.Add(ref leftToOthers.Value, recorded.Discarded.Count);
                    _store.Claims.Release(device, space, _options.Session, _owner, recorded.Stored.Select(o => o.Request.Architecture.Digits).ToList());
                    int index;
                    lock (gate)
                    {
                        index = stored.Count;
                        stored.Add(new StoredBatch(recorded.Stored.Where(o => o.Measurement is not null).Select(o => o.Request.Architecture.Digits).ToList(), recorded.Drift,
                            recorded.StoredTheReference));
                        foreach (var outcome in recorded.Stored) // as stored: corrected, claims withdrawn
                        {
                            var measurement = outcome.Measurement;
                            double? latency = measurement?.Statistics.LatencyMs;
                            if (measurement is not null)
                            {
                                latencies[outcome.Request.Architecture.Digits] = latency!.Value;
                                if (measurement.Statistics.PrecisionMet)
                                {
                                    precise.Add(outcome.Request.Architecture.Digits);
                                }
                                visits += measurement.Statistics.Visits;
                                contended += measurement.Statistics.ContendedVisits;
                            }
                            else
                            {
                                failures.Add(new ProfileFailure(outcome.Request.Architecture, outcome.Failure!));
                            }
                            progress?.Report(new ProfileProgress(latencies.Count + failures.Count, pending.Count, failures.Count, clock.Elapsed,
                                outcome.Request.Architecture, latency));
                        }
                        if (breaker.Record(recorded.Stored.Count, recorded.Stored.Count(o => o.Measurement is null), clock.Elapsed) && failures.Count > 0)
                        {
                            string last = failures[^1].Reason;
                            Stop(last.StartsWith(InterleavedEngine.TooBusy, StringComparison.Ordinal)
                                ? $"stopped because {last}"
                                : $"stopped because the device kept failing; last failure: {last}");
                        }
                    }
                    if (references is not null)
                    {
                        lock (establishingGate) // batches of several agents finish in any order
                        {
                            Reestablish(index, outcomes, recorded, references);
                        }
                    }
                }
                finally
                {
                    referenceMeasured?.TrySetResult();
                    batch.Dispose();
                }
            });

            // The reference is the fastest each reference architecture ran over this run's first batches; every time a
            // batch lowers it, those batches are corrected again together (MeasurementRecords.Rebase).
            void Reestablish(int index, IReadOnlyList<ModelOutcome> measured, RecordedBatch recorded, IReadOnlyDictionary<string, double> references)
            {
                if (establishing is null)
                {
                    return;
                }
                if (establishing.Count == 0 && !recorded.StoredTheReference)
                {
                    establishing = null; // another profile of the device stored the references first: they are its to establish
                    return;
                }
                var storedRequests = recorded.Stored.Where(o => o.Measurement is not null).Select(o => o.Request).ToList();
                var claimed = measured.Where(o => o.Measurement?.Statistics.PrecisionMet == true).Select(o => o.Request.Architecture.Digits).ToHashSet(StringComparer.Ordinal);
                establishing.Add((index, new ReferenceBatch(storedRequests, claimed, references, recorded.StoredTheReference)));
                var batches = establishing;
                if (batches.Count >= ReferenceBatches)
                {
                    establishing = null;
                }
                if (_store.Measurements.Rebase(device, space, _options.Session, batches.Select(e => e.Batch).ToList(), _options.Protocol.TargetRelativePrecision) is not { } rebased)
                {
                    return;
                }
                lock (gate)
                {
                    foreach (var ((at, batch), again) in batches.Zip(rebased))
                    {
                        stored[at] = stored[at] with { Drift = again.Drift };
                        foreach (var request in batch.Measured)
                        {
                            string digits = request.Architecture.Digits;
                            precise.Remove(digits);
                            if (again.LatenciesMs.TryGetValue(digits, out double latency))
                            {
                                latencies[digits] = latency;
                            }
                        }
                        precise.UnionWith(again.Precise);
                    }
                }
            }
        }
        finally
        {
            renewing.Cancel();
            await renewal;
            try
            {
                _store.Claims.Release(device, space, _options.Session, _owner); // what a stopped run had claimed but not measured
            }
            catch (Exception error) when (error is ProfileStoreException or ProfileStoreFailedException)
            {
                // Unreleased claims lapse after their lease; the run's own failure matters more.
            }
        }
        return new ProfileSummary(
            device.Name, requested.Count, alreadyStored, latencies.Count, failures, stopReason, clock.Elapsed,
            latencies.Count > 0 ? Descriptive.Median(latencies.Values.ToList()) : null, precise.Count, visits, contended, earlierFailures, givenUp, Volatile.Read(ref leftToOthers.Value), stored,
            Stopwatch.GetElapsedTime(0, Interlocked.Read(ref measuringTicks)));
    }

    /// <summary>
    /// Measures a batch, then measures again, up to <see cref="ProfileOptions.MaxRetries"/> times, the
    /// models whose runs were <see cref="LatencyStatistics.Disturbed"/>; one still disturbed is a failure
    /// with the figures, never a stored number.
    /// </summary>
    private async Task<IReadOnlyList<ModelOutcome>> MeasureUndisturbedAsync(
        ResiliencePipeline<IReadOnlyList<ModelOutcome>> pipeline, IReadOnlyList<IPreparedModel> models, CancellationToken cancellation)
    {
        var outcomes = (await AttemptAsync(pipeline, models, cancellation)).ToList();
        for (int retry = 0; retry < _options.MaxRetries; retry++)
        {
            var disturbed = outcomes.Select((o, i) => (o, i)).Where(p => p.o.Measurement?.Statistics.Disturbed == true).Select(p => p.i).ToList();
            if (disturbed.Count == 0)
            {
                break;
            }
            // Prepared afresh: a remote model carries an idempotency key, and the agent would answer with the disturbed result again.
            var fresh = disturbed.Select(i => _runner.Prepare(outcomes[i].Request, _options.Protocol.Instances)).ToList();
            Dictionary<ModelRequest, ModelOutcome> remeasured;
            try
            {
                remeasured = (await AttemptAsync(pipeline, fresh, cancellation)).ToDictionary(o => o.Request);
            }
            finally
            {
                fresh.ForEach(m => m.Dispose());
            }
            foreach (int i in disturbed)
            {
                outcomes[i] = remeasured.GetValueOrDefault(outcomes[i].Request, outcomes[i]);
            }
        }
        return outcomes.Select(o => o.Measurement is { Statistics: { Disturbed: true } statistics }
            ? ModelOutcome.Failed(o.Request,
                $"disturbed: the mean run took {statistics.MeanMs / statistics.MedianMs:0.#}× the median ({statistics.MeanMs:G4} ms against {statistics.MedianMs:G4} ms) " +
                $"and the precision was missed, {_options.MaxRetries + 1} times; the device was stopped or starved while it ran", o.Agent)
            : o).ToList();
    }

    private async Task<IReadOnlyList<ModelOutcome>> AttemptAsync(
        ResiliencePipeline<IReadOnlyList<ModelOutcome>> pipeline, IReadOnlyList<IPreparedModel> models, CancellationToken cancellation)
    {
        var context = ResilienceContextPool.Shared.Get(cancellation);
        context.Properties.Set(ArchitecturesInBatch, models.Count);
        try
        {
            return await pipeline.ExecuteAsync(async context => await _runner.MeasureAsync(models, _options.Protocol, context.CancellationToken), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Keeps this run's claims alive until <paramref name="stop"/>; a store that cannot be written stops only the renewal.</summary>
    private async Task RenewClaimsAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(ClaimLease / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                _store.Claims.Renew(_owner, ClaimLease);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ProfileStoreFailedException)
        {
            // The next commit will meet the same failure and stop the run with it.
        }
    }

    /// <summary>
    /// A device's interleaved measurements and its reference latencies are one estimator's: warm visits read lower than
    /// single runs where the caches matter, so a device measured one way is not continued the other.
    /// </summary>
    /// <exception cref="InvalidInputException">The device holds interleaved measurements made with another estimator.</exception>
    private void RefuseAnotherEstimator(StoredDevice device, SearchSpace space)
    {
        if (_options.Protocol.Mode != MeasurementMode.Interleaved)
        {
            return;
        }
        string wanted = _options.Protocol.Estimator;
        var other = _store.Measurements.Estimators(device, space, MeasurementProtocols.Interleaved).Where(e => e.Key != wanted).ToList();
        if (other.Count > 0)
        {
            string otherRuns = other[0].Key.EndsWith(LatencyStatistics.FastestColdVisit, StringComparison.Ordinal) ? "1" : "2";
            int otherInstances = LatencyStatistics.InstancesOf(other[0].Key);
            throw new InvalidInputException(
                $"Device '{device.Name}' holds {other.Sum(e => e.Value):N0} {space.Name} measurements estimated as {string.Join(", ", other.Select(e => e.Key))}, " +
                $"and this protocol's estimate is {wanted} (runs_per_visit {_options.Protocol.RunsPerVisit}, instances_per_architecture {_options.Protocol.InstancesPerArchitecture}); " +
                "the two read differently, so one device never mixes them. " +
                $"Set \"runs_per_visit\": {otherRuns}, \"instances_per_architecture\": {otherInstances} in the descriptor's protocol block to continue as it was measured, " +
                "or profile under another device name or into another store.");
        }
    }

    /// <summary>
    /// The prepared batches in order. When the runner allows it in this mode, a background thread
    /// prepares up to <see cref="ProfileOptions.PrepareAhead"/> batches ahead, and the measuring thread
    /// helps with a batch that is not ready when it would measure it (the first one always); otherwise
    /// each batch is prepared on all cores just before it is measured, and the other cores stay quiet
    /// while it is.
    /// </summary>
    /// <param name="firstMeasured">
    /// When not null, the background thread prepares nothing more after the first batch until this completes (the
    /// first batch has been measured). Preparing the next batch slows the one measured beside it, some networks
    /// more than others (profiles without load, 2026-12-03: the largest reference 1.41–1.56 ms beside it, 1.29–1.36 ms
    /// without), and the batch that stores a device's references sets the device's scale.
    /// </param>
    private async IAsyncEnumerable<PreparedBatch> PrepareAsync(StoredDevice device, SearchSpace space, IReadOnlyList<Architecture> pending, IReadOnlyList<int> batchSizes,
        IReadOnlyList<ModelRequest> references, Task? firstMeasured, StrongBox<int> leftToOthers, [EnumeratorCancellation] CancellationToken cancellation)
    {
        // Each batch is claimed just before it is prepared: what another profile of the same device holds, or has measured since, is left to it.
        var batches = Chunks(pending, batchSizes)
            .Select(chunk =>
            {
                var claimed = _store.Claims.Claim(device, space, _options.Session, _owner, chunk.Select(a => a.Digits).ToList(), ClaimLease, includeFailed: !_options.RetryFailed)
                    .ToHashSet(StringComparer.Ordinal);
                Interlocked.Add(ref leftToOthers.Value, chunk.Length - claimed.Count);
                return chunk.Where(a => claimed.Contains(a.Digits)).Select(a => _runner.Device.RequestFor(space, a, _options.WeightSeed)).ToList();
            })
            .Where(requests => requests.Count > 0)
            .Select(requests => new BatchPreparation(requests, Beside(requests), TryPrepare));

        // The references measured beside a batch: those not among its own architectures.
        IReadOnlyList<ModelRequest> Beside(IReadOnlyList<ModelRequest> requests)
        {
            var own = requests.Select(r => r.Architecture.Digits).ToHashSet(StringComparer.Ordinal);
            return references.Where(r => !own.Contains(r.Architecture.Digits)).ToList();
        }

        if (!_options.OverlapPreparation || !_runner.CanPrepareWhileMeasuring(_options.Protocol.Mode))
        {
            foreach (var preparation in batches)
            {
                if (cancellation.IsCancellationRequested)
                {
                    yield break;
                }
                Parallel.For(0, Environment.ProcessorCount, _ =>
                {
                    while (preparation.PrepareNext())
                    {
                    }
                });
                yield return await preparation.CompleteAsync();
            }
            yield break;
        }

        var channel = Channel.CreateBounded<BatchPreparation>(
            new BoundedChannelOptions(Math.Max(_options.PrepareAhead, _runner.Concurrency)) { SingleReader = false, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var producer = Task.Factory.StartNew(async () =>
        {
            try
            {
                foreach (var preparation in batches)
                {
                    // Handed over before it is prepared, so that a measuring thread with nothing to measure can help.
                    try
                    {
                        await channel.Writer.WriteAsync(preparation, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    while (!stop.IsCancellationRequested && preparation.PrepareNext())
                    {
                    }
                    if (firstMeasured is not null)
                    {
                        try
                        {
                            await firstMeasured.WaitAsync(stop.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                        firstMeasured = null;
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
            await foreach (var preparation in channel.Reader.ReadAllAsync(CancellationToken.None))
            {
                yield return await preparation.CompleteAsync();
            }
        }
        finally
        {
            // The loop stopped early (breaker, cancellation): stop the producer and free what it made.
            stop.Cancel();
            await producer;
            while (channel.Reader.TryRead(out var leftover))
            {
                leftover.Abandon();
            }
        }
    }

    private PreparedModel TryPrepare(ModelRequest request)
    {
        try
        {
            return new PreparedModel(_runner.Prepare(request, _options.Protocol.Instances), null);
        }
        catch (Exception error)
        {
            return new PreparedModel(null, ModelOutcome.Failed(request, $"model preparation failed: {OneLine(error)}"));
        }
    }

    /// <summary>
    /// How many architectures each batch measures, in order. The burst protocol measures one at a time.
    /// Interleaved batches are of about equal size: a small batch has short rounds whose visits all fall in
    /// one slow spell. Except, when later batches are prepared while one is measured, the first: nothing
    /// can be measured until it is prepared, so it is a quarter of a batch, and the next batch's preparation
    /// overlaps its measurement.
    /// </summary>
    public static IReadOnlyList<int> BatchSizes(int pending, MeasurementProtocol protocol, bool preparedAhead)
    {
        if (protocol.Mode == MeasurementMode.Burst)
        {
            return Enumerable.Repeat(1, pending).ToList();
        }
        int perBatch = protocol.ArchitecturesPerBatch;
        var sizes = new List<int>();
        if (preparedAhead && pending > perBatch && perBatch >= 4)
        {
            sizes.Add(perBatch / 4);
            pending -= perBatch / 4;
        }
        int batches = (pending + perBatch - 1) / perBatch;
        for (int i = 0; i < batches; i++)
        {
            sizes.Add(pending / batches + (i < pending % batches ? 1 : 0));
        }
        return sizes;
    }

    private static IEnumerable<Architecture[]> Chunks(IReadOnlyList<Architecture> pending, IReadOnlyList<int> sizes)
    {
        int start = 0;
        foreach (int size in sizes)
        {
            yield return pending.Skip(start).Take(size).ToArray();
            start += size;
        }
    }

    /// <summary>
    /// The reference architectures of a space for this profile's protocol, the same for every profile of a device:
    /// of a fixed draw of eight times as many, those at evenly spaced quantiles of their multiply-accumulates,
    /// so that they run like the space's networks do — a random few are often the smallest, whose latency is
    /// mostly overhead and moves unlike the rest. None for the burst protocol.
    /// </summary>
    private IReadOnlyList<Architecture> ReferenceArchitectures(SearchSpace space)
    {
        if (_options.Protocol is not { Mode: MeasurementMode.Interleaved, ReferenceArchitectures: > 0 and var count })
        {
            return [];
        }
        var dataset = _runner.Device.Dataset;
        var candidates = space.SampleDistinct((int)BigInteger.Min(8 * count, space.Size), ReferenceSeed)
            .OrderBy(a => space.Features(a, dataset).Macs).ThenBy(a => a.Digits, StringComparer.Ordinal)
            .ToList();
        count = Math.Min(count, candidates.Count);
        return Enumerable.Range(0, count).Select(i => candidates[(int)((i + 0.5) * candidates.Count / count)]).ToList();
    }

    /// <summary>What the batch measured for the reference architectures among its models (its own or added): digits → ms; null when it has none.</summary>
    private static Dictionary<string, double>? ReferenceLatencies(IReadOnlyList<ModelOutcome> measured, IReadOnlyList<Architecture> references)
    {
        if (references.Count == 0)
        {
            return null;
        }
        var digits = references.Select(a => a.Digits).ToHashSet(StringComparer.Ordinal);
        var latencies = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var outcome in measured.Where(o => o.Measurement is not null && digits.Contains(o.Request.Architecture.Digits)))
        {
            latencies[outcome.Request.Architecture.Digits] = outcome.Measurement!.Statistics.LatencyMs;
        }
        return latencies;
    }

    private ResiliencePipeline<IReadOnlyList<ModelOutcome>> BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder<IReadOnlyList<ModelOutcome>>();
        if (_options.MaxRetries > 0) // Polly refuses a retry strategy of zero attempts; zero retries means none
        {
            builder.AddRetry(new RetryStrategyOptions<IReadOnlyList<ModelOutcome>>
            {
                MaxRetryAttempts = _options.MaxRetries,
                Delay = _options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<IReadOnlyList<ModelOutcome>>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<LatencyNasException>(e => e.IsTransient && e is not ProfileStoreFailedException),
            });
        }
        return builder.AddTimeout(new TimeoutStrategyOptions
            {
                // The attempt timeout is per architecture: a batch may take that long for each of its architectures,
                // plus the time the runner may wait for a device that went away to come back.
                TimeoutGenerator = arguments => ValueTask.FromResult(
                    _options.AttemptTimeout * Math.Max(1, arguments.Context.Properties.GetValue(ArchitecturesInBatch, 1)) + _runner.OutageGrace),
            })
            .Build();
    }

    private string Describe(Exception error, int architectures) => error switch
    {
        TimeoutRejectedException => $"timed out after {_options.AttemptTimeout.TotalSeconds * architectures:0.#} s ({_options.MaxRetries + 1} attempts)",
        LatencyNasException { IsTransient: true } => $"{OneLine(error)} (still failing after {_options.MaxRetries} retries)",
        LatencyNasException => OneLine(error),
        _ => $"{error.GetType().Name}: {OneLine(error)}",
    };

    private static string OneLine(Exception error) => error.Message.Split('\n', 2)[0].Trim();

    /// <summary>
    /// Stops a run whose device keeps failing: at least <see cref="ProfileOptions.BreakerFailureRatio"/> of the
    /// architectures attempted within <see cref="ProfileOptions.BreakerSamplingDuration"/> failed, once
    /// <see cref="ProfileOptions.BreakerMinimumThroughput"/> were attempted. Counted per architecture, so a
    /// batch of 40 failing together stops the run as soon as 5 single failures would.
    /// </summary>
    private sealed class FailureBreaker(ProfileOptions options)
    {
        private readonly Queue<(TimeSpan At, int Attempted, int Failed)> _window = new();

        /// <returns>True when the run should stop.</returns>
        public bool Record(int attempted, int failed, TimeSpan now)
        {
            _window.Enqueue((now, attempted, failed));
            while (_window.Count > 0 && now - _window.Peek().At > options.BreakerSamplingDuration)
            {
                _window.Dequeue();
            }
            int total = _window.Sum(w => w.Attempted);
            return total >= options.BreakerMinimumThroughput && _window.Sum(w => w.Failed) >= options.BreakerFailureRatio * total;
        }
    }
}
