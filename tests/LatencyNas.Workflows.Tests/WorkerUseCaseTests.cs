using System.Diagnostics;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using LatencyNas.Tests;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows.Tests;

/// <summary>
/// Workers on one machine: those timing on its own CPU take turns (the host CPU lock), those of the sleep
/// device (or of remote agents) measure at the same time.
/// </summary>
public sealed class WorkerUseCaseTests : IDisposable
{
    private const string Protocol = """{ "reference_architectures": 0, "architectures_per_batch": 4 }""";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Two_workers_of_a_device_computing_on_this_machine_take_turns_and_both_get_work()
    {
        string local = _directory.File("local.json");
        File.WriteAllText(local, $$"""{ "name": "local", "runtime": "onnxruntime", "protocol": {{Protocol}} }""");

        var (intervals, results) = await RunTwoWorkers(local);

        Assert.True(DeviceDescriptorReader.ReadFile(local).ComputesOnThisMachine);
        Assert.All(results, r => Assert.True(r.Measured > 0, "a worker never got the machine's turn"));
        Assert.Equal(24, results.Sum(r => r.Measured));
        var ordered = intervals.OrderBy(i => i.Start).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i].Start >= ordered[i - 1].End,
                $"a batch of worker {ordered[i].Worker} started at {ordered[i].Start:F3} s while one of worker {ordered[i - 1].Worker} ran until {ordered[i - 1].End:F3} s");
        }
    }

    [Fact]
    public async Task Two_workers_of_the_sleep_device_measure_at_the_same_time()
    {
        string sleep = _directory.File("sleep.json");
        File.WriteAllText(sleep, $$"""{ "name": "sleepy", "runtime": "sleep", "sleep": { "ms": 1 }, "protocol": {{Protocol}} }""");

        var (intervals, results) = await RunTwoWorkers(sleep);

        Assert.Equal(24, results.Sum(r => r.Measured));
        var first = intervals.Where(i => i.Worker == 0).ToList();
        Assert.Contains(intervals.Where(i => i.Worker == 1), other => first.Any(mine => mine.Start < other.End && other.Start < mine.End));
    }

    private async Task<(IReadOnlyList<Interval> Intervals, WorkerResult[] Results)> RunTwoWorkers(string device)
    {
        var store = new StoreLocation(_directory.File($"{Path.GetFileNameWithoutExtension(device)}.db"));
        new QueueAddUseCase().Run(new QueueAddRequest(device, Nb201Space.Instance, new ArchitectureSelection(Count: 24, Seed: 3), store));
        var clock = Stopwatch.StartNew();
        var intervals = new List<Interval>();
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(worker => Task.Run(() =>
            new WorkerUseCase(new RecordingRunners(worker, clock, intervals)).RunAsync(new WorkerRequest(device, store, ChunkSize: 4)))));
        return (intervals, results);
    }

    private sealed record Interval(int Worker, double Start, double End);

    /// <summary>A runner whose every batch takes half a second, recording when each worker's batches ran.</summary>
    private sealed class RecordingRunners(int worker, Stopwatch clock, List<Interval> intervals) : IDeviceRunnerFactory
    {
        public IDeviceRunner Create(DeviceDescriptor device) => new Recording(device, worker, clock, intervals);

        private sealed class Recording(DeviceDescriptor device, int worker, Stopwatch clock, List<Interval> intervals) : IDeviceRunner
        {
            public DeviceDescriptor Device => device;

            public bool CanPrepareWhileMeasuring(MeasurementMode mode) => false;

            public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation) => Task.FromResult(DeviceFingerprint.ForHost(device, "recording 1.0"));

            public IPreparedModel Prepare(ModelRequest request, int instances = 1) => new OnnxModel(request, []);

            public async Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
            {
                double start = clock.Elapsed.TotalSeconds;
                await Task.Delay(500, cancellation);
                lock (intervals)
                {
                    intervals.Add(new Interval(worker, start, clock.Elapsed.TotalSeconds));
                }
                return batch.Select(m => ModelOutcome.Measured(m.Request, new Measurement(
                    LatencyStatistics.FromSamples([5.0, 5.0, 5.0], protocol.TargetRelativePrecision, warmupRuns: 0, warmupSettled: true), 0))).ToList();
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
