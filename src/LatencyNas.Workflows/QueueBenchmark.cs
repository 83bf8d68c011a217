using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <param name="Workers">Worker counts to run, one after another, each on a queue of its own.</param>
/// <param name="Architectures">Architectures queued for each worker count.</param>
/// <param name="BatchSize">Architectures a worker claims at a time.</param>
/// <param name="SleepMs">What a batch's "measurement" takes: a fixed sleep (a load generator, not a device).</param>
public sealed record BenchQueueRequest(StoreLocation Store, IReadOnlyList<int> Workers, int Architectures = 1000, int BatchSize = 10, double SleepMs = 20)
{
    /// <summary>The worker counts run unless others are asked for.</summary>
    public static IReadOnlyList<int> DefaultWorkers { get; } = [1, 2, 4, 8, 16, 32];
}

/// <param name="Claims">Batches claimed.</param>
/// <param name="ClaimP50Ms">What a worker waits for its next batch (claiming it from the queue in one transaction), median and 99th percentile.</param>
/// <param name="ClaimedTwice">Architectures claimed by more than one worker (zero: the claims shared the queue).</param>
public sealed record BenchQueueRow(int Workers, int Claims, double Seconds, double ClaimsPerSecond, double ArchitecturesPerSecond, double ClaimP50Ms, double ClaimP99Ms, int ClaimedTwice);

public sealed record BenchQueueResult(string Store, int Cores, int Architectures, int BatchSize, double SleepMs, IReadOnlyList<BenchQueueRow> Rows);

/// <summary>
/// How much queue one store carries: workers in this process, each with its own connection, doing per batch
/// what a worker does in the store — read the next free architectures of its device's queue, claim them, "measure" them
/// (a fixed sleep: a load generator), commit it fenced by its claims, release — against a queue of their own
/// per worker count. The store's side is the real one; only the device is replaced.
/// </summary>
public sealed class QueueBenchmark
{
    private static readonly Nb201Space Space = Nb201Space.Instance;

    /// <exception cref="InvalidInputException">A worker count, size or sleep out of range.</exception>
    public BenchQueueResult Run(BenchQueueRequest request, IProgress<BenchQueueRow>? progress = null, CancellationToken cancellation = default)
    {
        if (request.Workers.Count == 0 || request.Workers.Any(w => w is < 1 or > 256) || request.Architectures < 1 || request.BatchSize < 1 || request.SleepMs < 0)
        {
            throw new InvalidInputException("bench queue takes 1 to 256 workers, at least one architecture and batch size, and a sleep of 0 ms or more.");
        }
        var descriptor = DeviceDescriptorReader.Resolve("ort-cpu-1t");
        var architectures = Space.SampleDistinct(Math.Min(request.Architectures, (int)Space.Size), seed: 0).Select(a => a.Digits).ToList();
        string location;
        var rows = new List<BenchQueueRow>();
        using (var store = request.Store.OpenOrCreate())
        {
            location = store.Location;
        }
        foreach (int workers in request.Workers)
        {
            cancellation.ThrowIfCancellationRequested();
            // A device of its own per run, labelled as what it is: the queue's load, not a device's latency.
            var device = descriptor with { Name = $"load-generator-{workers}w-{Guid.NewGuid():N}"[..32] };
            StoredDevice stored;
            using (var store = request.Store.OpenExisting())
            {
                stored = store.Devices.EnsureMeasured(device, DeviceFingerprint.ForHost(device, "load-generator"), DeviceKind.Live);
                store.Queue.Add(device.Name, Space, 1, architectures);
            }
            var latencies = new List<double>[workers];
            var claimed = new List<string>[workers];
            var clock = Stopwatch.StartNew();
            var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
            {
                latencies[w] = [];
                claimed[w] = [];
                using var store = request.Store.OpenExisting();
                string owner = ClaimRecords.Owner();
                var timer = new Stopwatch();
                while (!cancellation.IsCancellationRequested)
                {
                    timer.Restart();
                    var (_, _, mine, left) = store.Queue.ClaimNext(device.Name, request.BatchSize, owner, TimeSpan.FromMinutes(2));
                    timer.Stop();
                    if (left == 0)
                    {
                        break;
                    }
                    if (mine.Count == 0)
                    {
                        Thread.Sleep(5); // the rest is claimed by others
                        continue;
                    }
                    latencies[w].Add(timer.Elapsed.TotalMilliseconds);
                    claimed[w].AddRange(mine);
                    Thread.Sleep(TimeSpan.FromMilliseconds(request.SleepMs));
                    var outcomes = mine.Select(d => ModelOutcome.Measured(device.RequestFor(Space, Space.FromDigits(d)), new Measurement(
                        LatencyStatistics.FromSamples([request.SleepMs, request.SleepMs, request.SleepMs], target: 0.02, warmupRuns: 0, warmupSettled: true), 0))).ToList();
                    store.Measurements.RecordBatch(stored, Space, 1, outcomes, owner: owner);
                    store.Claims.Release(stored, Space, 1, owner, mine);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            double seconds = clock.Elapsed.TotalSeconds;
            var all = latencies.SelectMany(l => l).Order().ToArray();
            int claims = all.Length;
            int twice = claimed.SelectMany(c => c).GroupBy(d => d).Count(g => g.Count() > 1);
            var row = new BenchQueueRow(workers, claims, seconds, claims / seconds, architectures.Count / seconds,
                claims > 0 ? Descriptive.QuantileOfSorted(all, 0.5) : 0, claims > 0 ? Descriptive.QuantileOfSorted(all, 0.99) : 0, twice);
            rows.Add(row);
            progress?.Report(row);
        }
        return new BenchQueueResult(location, Environment.ProcessorCount, architectures.Count, request.BatchSize, request.SleepMs, rows);
    }
}
