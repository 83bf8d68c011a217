using System.Diagnostics;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows;

/// <summary>Architectures to queue for a device, chosen as <c>profile</c> chooses them.</summary>
/// <param name="Device">A descriptor file, or the name of a shipped descriptor; the work is queued under the name the store gives the device.</param>
public sealed record QueueAddRequest(
    string Device, SearchSpace Space, ArchitectureSelection Architectures, StoreLocation Store, string? DeviceName = null, int Session = 1, Dataset? Dataset = null);

/// <param name="Added">Of the architectures asked for, those not queued before.</param>
public sealed record QueueAddResult(string Device, string Store, string Space, int Session, int Requested, int Added);

/// <summary>Queues architectures for the workers of a device.</summary>
public sealed class QueueAddUseCase
{
    /// <exception cref="Core.InvalidInputException">A bad descriptor, selection or task.</exception>
    public QueueAddResult Run(QueueAddRequest request)
    {
        var device = ProfileUseCase.ResolveDevice(request.Device, request.Dataset, request.DeviceName, request.Space);
        var architectures = request.Architectures.Resolve(request.Space, ProfileRequest.DefaultCount);
        var digits = architectures.Select(a => a.Digits).Distinct().ToList();
        using var store = request.Store.OpenOrCreate();
        int added = store.Queue.Add(device.Name, request.Space, request.Session, digits);
        return new QueueAddResult(device.Name, store.Location, request.Space.Name, request.Session, digits.Count, added);
    }
}

/// <param name="Device">The device's name in the store.</param>
/// <param name="Space">Only this space's queued work (null: all).</param>
public sealed record QueueCancelRequest(string Device, StoreLocation Store, SearchSpace? Space = null);

/// <param name="Removed">Queued architectures removed (those already measured or failed stay, as history).</param>
public sealed record QueueCancelResult(string Device, string Store, int Removed);

/// <summary>Removes a device's queued work that no worker has finished; a batch being measured is still recorded.</summary>
public sealed class QueueCancelUseCase
{
    public QueueCancelResult Run(QueueCancelRequest request)
    {
        using var store = request.Store.OpenExisting();
        var queued = store.Queue.Counts().Select(c => c.Device).Distinct().ToList();
        if (!queued.Contains(request.Device) && store.Devices.Find(request.Device) is null)
        {
            throw new Core.InvalidInputException(
                $"Nothing was ever queued for '{request.Device}' in {store.Location}, and it has no such device. Queued devices: {(queued.Count > 0 ? string.Join(", ", queued) : "none")}.");
        }
        return new QueueCancelResult(request.Device, store.Location, store.Queue.Cancel(request.Device, request.Space?.Name));
    }
}

public sealed record QueueStatusRequest(StoreLocation Store);

/// <summary>A worker holding claims: how many architectures, since when, and until when its lease runs unless renewed.</summary>
public sealed record QueueClaimant(string Owner, int Claimed, DateTimeOffset? Since, DateTimeOffset Expires);

/// <summary>One device's queued work of one space and session.</summary>
/// <param name="Left">Neither measured nor failed yet (the claimed included).</param>
/// <param name="PerMinute">Queued architectures settled per minute over the last ten minutes, or since the first of those (null: none).</param>
/// <param name="EtaSeconds">Left at that rate (null: no rate).</param>
public sealed record QueueStatusRow(
    string Device, string Space, int Session, int Queued, int Done, int Failed, int Claimed, int Left, double? PerMinute, double? EtaSeconds,
    IReadOnlyList<QueueClaimant> Claimants);

public sealed record QueueStatusResult(string Store, IReadOnlyList<QueueStatusRow> Rows);

/// <summary>Per device: what is done, claimed (by which worker, since when), failed and left, with the rate and the time left.</summary>
public sealed class QueueStatusUseCase
{
    public QueueStatusResult Run(QueueStatusRequest request)
    {
        using var store = request.Store.OpenExisting();
        var rows = new List<QueueStatusRow>();
        foreach (var counts in store.Queue.Counts())
        {
            var claimants = new List<QueueClaimant>();
            if (store.Devices.Find(counts.Device) is { } device && SearchSpaces.TryGet(counts.Space) is { } space)
            {
                claimants = store.Claims.Held(device, space, counts.Session).Values
                    .GroupBy(c => c.Owner)
                    .Select(g => new QueueClaimant(g.Key, g.Count(), g.Min(c => c.Since), g.Max(c => c.Expires)))
                    .OrderBy(c => c.Owner, StringComparer.Ordinal)
                    .ToList();
            }
            // Over the last ten minutes, or since the first of them was settled (at least ten seconds: one batch is no rate).
            double? perMinute = counts is { Recent: > 0, RecentSince: { } since }
                ? counts.Recent / Math.Max((DateTimeOffset.UtcNow - since).TotalMinutes, 1.0 / 6)
                : null;
            rows.Add(new QueueStatusRow(counts.Device, counts.Space, counts.Session, counts.Queued, counts.Done, counts.Failed, claimants.Sum(c => c.Claimed),
                counts.Left, perMinute, perMinute is { } rate ? counts.Left / rate * 60 : null, claimants));
        }
        return new QueueStatusResult(store.Location, rows);
    }
}

/// <summary>What one worker measures: the queued work of its device, in chunks it claims.</summary>
/// <param name="Device">A descriptor file, or the name of a shipped descriptor, as given to <c>queue add</c>.</param>
/// <param name="Wait">Keep waiting for new work when the device's queue is empty, instead of exiting.</param>
/// <param name="ChunkSize">Architectures a worker takes at a time (claimed batch by batch as it measures them).</param>
public sealed record WorkerRequest(
    string Device, StoreLocation Store, string? DeviceName = null, Dataset? Dataset = null, bool Wait = false, int ChunkSize = WorkerRequest.DefaultChunkSize,
    double TimeoutSeconds = 120, int Retries = 2)
{
    public const int DefaultChunkSize = 30;
}

/// <param name="LeftToOthers">Architectures another worker claimed or measured first.</param>
/// <param name="StopReason">Why the worker stopped before its queue was empty, or null.</param>
public sealed record WorkerResult(string Device, string Store, int Measured, int Failed, int LeftToOthers, int Chunks, double ElapsedSeconds, string? StopReason)
{
    public bool Succeeded => StopReason is null && Failed == 0;
}

/// <summary>
/// A worker: takes its device's queued work a chunk at a time and measures it with the machinery of
/// <c>profile</c> — each batch claimed with a lease before it is prepared, the lease renewed while it is
/// measured, the outcome committed once and only while this worker still holds the claim — until the
/// queue is empty. Architectures other workers hold are left to them; when their lease lapses (the worker
/// died) they are taken over. Workers timing on this machine's own CPU take turns (<see cref="HostCpuLock"/>).
/// </summary>
public sealed class WorkerUseCase(IDeviceRunnerFactory runners)
{
    /// <summary>How long a worker waits before looking at the queue again when all that is left is claimed by others (or, with --wait, nothing is).</summary>
    public static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(2);

    /// <exception cref="Core.InvalidInputException">A bad descriptor or task, or a device that is absent.</exception>
    public async Task<WorkerResult> RunAsync(WorkerRequest request, IProgress<ProfileProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (request.ChunkSize < 1)
        {
            throw new Core.InvalidInputException($"A worker's chunk must hold at least one architecture (got {request.ChunkSize}).");
        }
        var device = ProfileUseCase.ResolveDevice(request.Device, request.Dataset, request.DeviceName, space: null);
        var clock = Stopwatch.StartNew();
        string owner = Profiling.Store.ClaimRecords.Owner();
        int measured = 0, failed = 0, others = 0, chunks = 0;
        // One connection for the worker's life: an unreachable server fails the start, and once started the worker rides out an outage.
        // A worker serves a queue someone filled: a store that is not there is a wrong path, not a new store.
        using var store = request.Store.OpenExisting();
        string location = store.Location;
        // Registered before the first claim: an absent device or a foreign fingerprint claims nothing, and workers
        // starting together on a new device claim from the queue, not from rows taken unclaimed.
        await using (var runner = runners.Create(device))
        {
            await Profiler.RegisterAsync(runner, store, cancellation);
        }
        while (!cancellation.IsCancellationRequested)
        {
            ProfileResult? result = null;
            int left;
            // The chunk is chosen once the machine's turn is taken: what others claimed meanwhile is left to them.
            using (device.ComputesOnThisMachine ? await HostCpuLock.AcquireAsync(cancellation) : null)
            {
                (var chunk, left) = NextChunk(store, request.ChunkSize, device.Name, owner);
                if (chunk is (var space, var session, var architectures))
                {
                    result = await new ProfileUseCase(runners).RunAsync(new ProfileRequest(
                        request.Device, space, new ArchitectureSelection(Members: architectures), request.Store, request.DeviceName, session,
                        TimeoutSeconds: request.TimeoutSeconds, Retries: request.Retries, Dataset: request.Dataset, ClaimOwner: owner), store, progress, cancellation);
                }
            }
            if (result is null)
            {
                if (left == 0 && !request.Wait)
                {
                    break;
                }
                try
                {
                    await Task.Delay(IdlePoll, cancellation);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            measured += result.Measured;
            failed += result.Failed;
            others += result.LeftToOthers;
            chunks++;
            if (result.StopReason is { } reason)
            {
                return new WorkerResult(device.Name, location, measured, failed, others, chunks, clock.Elapsed.TotalSeconds, reason);
            }
            if (device.ComputesOnThisMachine)
            {
                await Task.Delay(HostCpuLock.Handover, CancellationToken.None); // a worker waiting for this machine's turn gets it
            }
        }
        return new WorkerResult(device.Name, location, measured, failed, others, chunks, clock.Elapsed.TotalSeconds,
            cancellation.IsCancellationRequested ? "cancelled" : null);
    }

    /// <summary>Claims the next architectures of one space and session that no one holds; how many of the device's queue are left when none are free.</summary>
    private static ((SearchSpace Space, int Session, IReadOnlyList<Architecture> Architectures)? Chunk, int Left) NextChunk(
        Profiling.Store.ProfileStore store, int chunkSize, string device, string owner)
    {
        var (name, session, claimed, left) = store.Queue.ClaimNext(device, chunkSize, owner, Profiler.ClaimLease);
        if (name is null)
        {
            return (null, left);
        }
        var claimedSpace = SearchSpaces.Get(name);
        return ((claimedSpace, session, claimed.Select(claimedSpace.FromDigits).ToList()), left);
    }
}

/// <summary>
/// Workers that time models on this machine's own CPU take turns, since two timing at once disturb each
/// other: each holds this lock (an exclusive lock on a file in the temporary folder, which the system
/// drops when the process dies) while it measures a chunk. Workers of remote agents or the sleep device do not take it.
/// </summary>
internal sealed class HostCpuLock : IDisposable
{
    private readonly FileStream _file;

    private HostCpuLock(FileStream file) => _file = file;

    public static string FilePath => Path.Combine(Path.GetTempPath(), "latnas-host-cpu.lock");

    /// <summary>How long a worker waits after its chunk before taking the lock again, so that one waiting (polling every 0.1 s) gets its turn.</summary>
    public static readonly TimeSpan Handover = TimeSpan.FromSeconds(0.25);

    public static async Task<HostCpuLock> AcquireAsync(CancellationToken cancellation)
    {
        while (true)
        {
            try
            {
                return new HostCpuLock(new FileStream(FilePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellation);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
