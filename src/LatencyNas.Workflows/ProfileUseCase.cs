using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Timing;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows;

/// <summary>What <c>latnas profile</c> measures, where, and how.</summary>
/// <param name="Device">A descriptor file, or the name of a shipped descriptor.</param>
/// <param name="DeviceName">Store the measurements under this name instead of the descriptor's.</param>
/// <param name="Dataset">Measure at this task instead of the descriptor's, under the name DEVICE@TASK (unless <paramref name="DeviceName"/> is given).</param>
/// <param name="Session">Profiles of the same architectures are told apart by session (test-retest).</param>
/// <param name="Mode">Overrides the protocol's mode (interleaved visits, or one burst per architecture, as before schema 4).</param>
/// <param name="Precision">Overrides the protocol's target relative half-width of the estimate's 95% interval.</param>
/// <param name="MaxRuns">Burst: overrides the protocol's most timed runs per architecture.</param>
/// <param name="MaxSeconds">Burst: overrides the protocol's longest timed phase per architecture.</param>
/// <param name="WarmupSeconds">Burst: overrides the protocol's longest warm-up per architecture.</param>
/// <param name="ClaimOwner">Whose claims the run's are (a worker's, which claimed the architectures from the queue); null: its own.</param>
public sealed record ProfileRequest(
    string Device,
    SearchSpace Space,
    ArchitectureSelection Architectures,
    StoreLocation Store,
    string? DeviceName = null,
    int Session = 1,
    bool RetryFailed = false,
    double? Precision = null,
    int? MaxRuns = null,
    double? MaxSeconds = null,
    double? WarmupSeconds = null,
    double TimeoutSeconds = 120,
    int Retries = 2,
    MeasurementMode? Mode = null,
    bool GiveUpFailed = false,
    Dataset? Dataset = null,
    string? ClaimOwner = null)
{
    /// <summary>Architectures drawn when the request names none.</summary>
    public const int DefaultCount = 100;
}

/// <summary>
/// The batches of a profile whose reference architectures disagreed by more than half the precision asked for: the
/// machine's speed moved unevenly while they were measured, so their estimates are stored without claiming it.
/// </summary>
/// <param name="Batches">How many batches.</param>
/// <param name="Architectures">The architectures measured in them.</param>
/// <param name="SmallestSpread">The smallest of their references' spreads (largest ratio ÷ smallest − 1).</param>
/// <param name="LargestSpread">The largest.</param>
/// <param name="Precision">The precision asked for.</param>
public sealed record UnevenBatches(int Batches, int Architectures, double SmallestSpread, double LargestSpread, double Precision);

/// <summary>One architecture a profile could not measure, and why.</summary>
public sealed record ProfileFailureRow(string Arch, string Ops, int? Index, string Reason);

/// <summary>What a profile run did.</summary>
/// <param name="Requested">Distinct architectures asked for.</param>
/// <param name="AlreadyStored">Of those, already settled in the store for this session (skipped).</param>
/// <param name="Remaining">Neither stored nor measured nor failed: left for the next run.</param>
/// <param name="StopReason">Why the run stopped early, or null when it finished.</param>
/// <param name="PrecisionMet">Of the measured, those stored as precise (interval within the precision asked for).</param>
/// <param name="ContendedVisits">Interleaved: share of the visits made while other work kept the machine busy (null for the burst).</param>
/// <param name="EarlierFailures">Asked for, recorded as failed by an earlier run, and neither measured since nor given up: the run fails until they are.</param>
/// <param name="GivenUp">Recorded failures this run gave up on.</param>
/// <param name="LeftToOthers">Claimed or measured by another profile of the same device running at the same time.</param>
/// <param name="Uneven">The batches whose references disagreed too much for their estimates to claim the precision asked for; null when none did.</param>
/// <param name="InReferenceBatch">Architectures measured in the batch that stored the device's reference latencies, whose estimates claim no precision.</param>
/// <param name="MeasuringSeconds">How long batches were being measured, added over the batches (<see cref="ProfileSummary.Measuring"/>); the rest of a local run went to preparing models and storing.</param>
public sealed record ProfileResult(
    string Device, string Setting, string Store, string Space, int Session, int Requested, int AlreadyStored, int Measured, int Failed, int Remaining,
    double ElapsedSeconds, double? MedianLatencyMs, string? StopReason, IReadOnlyList<ProfileFailureRow> Failures, int PrecisionMet = 0, double? ContendedVisits = null,
    IReadOnlyList<ProfileFailureRow>? EarlierFailures = null, int GivenUp = 0, int LeftToOthers = 0, UnevenBatches? Uneven = null, int InReferenceBatch = 0,
    double MeasuringSeconds = 0)
{
    public bool Succeeded => StopReason is null && Failed == 0 && (EarlierFailures?.Count ?? 0) == 0;

    public double SecondsPerArchitecture => Measured + Failed > 0 ? ElapsedSeconds / (Measured + Failed) : 0;
}

/// <summary>
/// Profiles architectures on a device into the store. Everything the request names is checked, and
/// the device probed, before the store is opened: a rejected request creates no store and no folder.
/// </summary>
public sealed class ProfileUseCase(IDeviceRunnerFactory runners)
{
    private const double MaxSeconds = 86_400;

    /// <exception cref="InvalidInputException">A bad device descriptor, selection, protocol or option, or a device that is absent.</exception>
    public Task<ProfileResult> RunAsync(ProfileRequest request, IProgress<ProfileProgress>? progress = null, CancellationToken cancellation = default)
        => RunAsync(request, openStore: null, progress, cancellation);

    /// <param name="openStore">The request's store, already open (a worker keeps one connection across its chunks, riding out a server's
    /// outage between them); null: opened here once the request is checked.</param>
    internal async Task<ProfileResult> RunAsync(ProfileRequest request, Profiling.Store.ProfileStore? openStore, IProgress<ProfileProgress>? progress, CancellationToken cancellation)
    {
        var device = ResolveDevice(request.Device, request.Dataset, request.DeviceName, request.Space);
        var architectures = request.Architectures.Resolve(request.Space, ProfileRequest.DefaultCount);
        foreach (var (name, seconds) in new[] { ("timeout", (double?)request.TimeoutSeconds), ("max-seconds", request.MaxSeconds), ("warmup-seconds", request.WarmupSeconds) })
        {
            if (seconds is { } value && !(value > 0 && value <= MaxSeconds))
            {
                throw new InvalidInputException($"--{name} must be more than 0 and at most {MaxSeconds:N0} seconds (got {value}).");
            }
        }
        var options = new ProfileOptions
        {
            Protocol = Protocol(device, request).Validated(),
            Session = request.Session,
            RetryFailed = request.RetryFailed,
            GiveUpFailed = request.GiveUpFailed,
            AttemptTimeout = TimeSpan.FromSeconds(request.TimeoutSeconds),
            MaxRetries = request.Retries,
            ClaimOwner = request.ClaimOwner,
        };
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new InvalidInputException($"Invalid profile options: {string.Join("; ", problems)}.");
        }

        await using var runner = runners.Create(device);
        await runner.ProbeAsync(cancellation);
        runner.CheckProtocol(options.Protocol);
        using var opened = openStore is null ? request.Store.OpenOrCreate() : null;
        var store = openStore ?? opened!;
        var summary = await new Profiler(runner, store, options).RunAsync(request.Space, architectures, progress, cancellation);
        return new ProfileResult(
            summary.Device, device.Summary, store.Location, request.Space.Name, request.Session, summary.Requested, summary.AlreadyStored, summary.Measured,
            summary.Failures.Count, summary.Remaining, summary.Elapsed.TotalSeconds, summary.MedianLatencyMs, summary.StopReason,
            Rows(summary.Failures), summary.PrecisionMet, summary.Visits > 0 ? summary.ContendedVisits / (double)summary.Visits : null,
            Rows(summary.EarlierFailures ?? []), summary.GivenUp, summary.LeftToOthers, Uneven(summary.Batches, options.Protocol.TargetRelativePrecision),
            (summary.Batches ?? []).Where(b => b.StoredTheReference).Sum(b => b.Digits.Count), summary.Measuring.TotalSeconds);

        static UnevenBatches? Uneven(IReadOnlyList<StoredBatch>? batches, double? precision)
        {
            // The batch that stored the reference claims nothing anyway and is counted apart.
            var uneven = (batches ?? []).Where(b => !b.StoredTheReference && b.Drift is { } d && d.WithdrawsClaimsOf(precision)).ToList();
            return uneven.Count == 0 ? null : new UnevenBatches(uneven.Count, uneven.Sum(b => b.Digits.Count),
                uneven.Min(b => b.Drift!.Spread), uneven.Max(b => b.Drift!.Spread), precision!.Value);
        }

        List<ProfileFailureRow> Rows(IEnumerable<ProfileFailure> failures)
            => failures.Select(f => new ProfileFailureRow(request.Space.Format(f.Architecture), f.Architecture.Digits, request.Space.IndexOf(f.Architecture), f.Reason)).ToList();
    }

    /// <summary>
    /// The descriptor a profile measures with, named as the store will name it: at another task than the
    /// descriptor's it is DEVICE@TASK, unless <paramref name="deviceName"/> names it.
    /// </summary>
    /// <exception cref="InvalidInputException">A bad descriptor or name, or a space whose networks are not built for the task.</exception>
    /// <param name="space">The space to be measured, whose networks must be built for the task (null: not checked).</param>
    internal static DeviceDescriptor ResolveDevice(string descriptor, Dataset? dataset, string? deviceName, SearchSpace? space)
    {
        var device = DeviceDescriptorReader.Resolve(descriptor);
        if (dataset is { } task && task != device.Dataset)
        {
            device = device with { Dataset = task, Name = DeviceName.AtTask(device.Name, task) };
        }
        if (deviceName is { } rename)
        {
            device = device with { Name = DeviceName.Check(rename, "--device-name") };
        }
        // The part after '@' names the task the device measures; a name that claims another would be listed as one task and hold another's latencies.
        if (device.Name.IndexOf('@') is int at and >= 0 && device.Name[(at + 1)..] != device.Dataset.Name)
        {
            throw new InvalidInputException(
                $"Device name '{device.Name}' says task {device.Name[(at + 1)..]}, but the device measures {device.Dataset.Name}; " +
                $"drop the '@{device.Name[(at + 1)..]}' or give --dataset {device.Name[(at + 1)..]}.");
        }
        return space is null || space.CanBuildFor(device.Dataset)
            ? device
            : throw new InvalidInputException(
                $"Device '{device.Name}' is set up for dataset {device.Dataset.Name}; {space!.Name} networks are not built for it (give another --dataset).");
    }

    private static MeasurementProtocol Protocol(DeviceDescriptor device, ProfileRequest request)
    {
        var protocol = device.Protocol ?? MeasurementProtocol.Default;
        if (request.Mode is { } mode && mode != protocol.Mode)
        {
            // The burst protocol keeps its own precision (2% on the median of one block) unless one is asked for.
            protocol = mode == MeasurementMode.Burst
                ? MeasurementProtocol.Burst with { MaxRuns = protocol.MaxRuns, MinRuns = protocol.MinRuns, MaxTime = protocol.MaxTime }
                : protocol with { Mode = mode, TargetRelativePrecision = MeasurementProtocol.Default.TargetRelativePrecision };
        }
        if (request.Precision is { } precision)
        {
            protocol = protocol with { TargetRelativePrecision = precision };
        }
        if (request.MaxRuns is { } maxRuns)
        {
            protocol = protocol with { MaxRuns = maxRuns, MinRuns = Math.Min(protocol.MinRuns, maxRuns) };
        }
        if (request.MaxSeconds is { } maxSeconds)
        {
            protocol = protocol with { MaxTime = TimeSpan.FromSeconds(maxSeconds) };
        }
        if (request.WarmupSeconds is { } warmupSeconds)
        {
            protocol = protocol with
            {
                WarmupMaxTime = TimeSpan.FromSeconds(warmupSeconds),
                WarmupMinTime = TimeSpan.FromSeconds(Math.Min(warmupSeconds, protocol.WarmupMinTime.TotalSeconds)),
            };
        }
        return protocol;
    }
}
