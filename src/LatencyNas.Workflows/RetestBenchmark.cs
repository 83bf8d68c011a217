using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows;

/// <summary>Work the benchmark runs beside the measurements, on another core.</summary>
public enum BackgroundLoad
{
    None,

    /// <summary>One core kept busy for 3 s, then idle for 2 s, over and over (a build, a browser tab, another user's job).</summary>
    Bursty,
}

/// <param name="Device">The device to measure (a descriptor file or a shipped name).</param>
/// <param name="Count">Architectures, each profiled twice by each protocol.</param>
/// <param name="PauseSeconds">The pause between the two sessions.</param>
/// <param name="Load">Work to run beside the measurements.</param>
/// <param name="Precision">The interleaved protocol's target precision (null: the device's, else the default); the burst keeps its 2%.</param>
/// <param name="KeepStore">Keep the store the two protocols' profiles go to (devices "burst" and "interleaved") at this path; null: a temporary one, deleted.</param>
public sealed record RetestRequest(
    string Device = "ort-cpu-1t", int Count = 200, int Seed = 0, double PauseSeconds = 60, BackgroundLoad Load = BackgroundLoad.None, double? Precision = null,
    string? KeepStore = null);

/// <summary>One protocol's test-retest figures.</summary>
/// <param name="Within5">Share of architectures whose second session's estimate is within ±5% of the first's.</param>
/// <param name="SecondsPerArchitecture">End to end per session: export, session creation and measurement.</param>
/// <param name="MeasuringSecondsPerArchitecture">Of that, the time batches were being measured; the rest is building, exporting and loading models, and storing.</param>
/// <param name="PrecisionMet">Share of the first session's architectures stored as precision met.</param>
/// <param name="PreciseRemeasuredWithin">Of those, the share whose second estimate is within the precision they were measured to (the store's promise).</param>
/// <param name="InsideInterval">Share of architectures whose second estimate falls inside the first's stored interval.</param>
/// <param name="MeanVisits">Interleaved: visits per measurement, on average over both sessions (0 for the burst).</param>
/// <param name="ContendedVisits">Interleaved: share of the visits made while the measuring thread had to wait for a CPU.</param>
/// <param name="Within5Uncorrected">Interleaved: <paramref name="Within5"/> on the estimates before the drift correction (the burst has none: equal).</param>
/// <param name="DriftLow">Interleaved: the lowest drift factor a batch of either session was corrected by (1 when none was).</param>
/// <param name="DriftHigh">Interleaved: the highest.</param>
public sealed record RetestRow(
    string Protocol, double Precision, double Within5, double Within10, double Srcc, double SecondsPerArchitecture, double PrecisionMet,
    double PreciseRemeasuredWithin, double InsideInterval, int Failed, double MeanVisits, double ContendedVisits,
    double Within5Uncorrected, double Within10Uncorrected, double DriftLow, double DriftHigh, double MeasuringSecondsPerArchitecture);

/// <summary>
/// One batch of the interleaved protocol's first session and how its architectures re-measured: where the
/// store's promise breaks, it breaks by whole batches whose drift correction was off (docs/measurement.md).
/// </summary>
/// <param name="Architectures">Measured in both sessions.</param>
/// <param name="Precise">Of those, stored as precision met in the first session.</param>
/// <param name="Held">Of those, re-measured within the precision.</param>
/// <param name="MedianRatio">The median of second ÷ first estimate, both corrected: how far the batch moved as a whole.</param>
/// <param name="FirstDrift">The first session's correction of the batch (null: it stored the references, or had none).</param>
/// <param name="SecondDrift">The second session's correction of the batch most of these architectures were measured in again.</param>
public sealed record RetestBatch(int Architectures, int Precise, int Held, double MedianRatio, ReferenceDrift? FirstDrift, ReferenceDrift? SecondDrift);

/// <param name="Batches">The interleaved protocol's first-session batches, in the order they were stored.</param>
public sealed record RetestResult(string Device, string Cpu, int Architectures, double PauseSeconds, BackgroundLoad Load, IReadOnlyList<RetestRow> Protocols,
    IReadOnlyList<RetestBatch> Batches);

/// <summary>
/// Test-retest of the two measurement protocols side by side: the same architectures profiled twice,
/// a pause apart, by the burst protocol (before schema 4) and the interleaved one, in alternation so
/// both see the same machine; optionally with a generated load on another core.
/// </summary>
public sealed class RetestBenchmark(IDeviceRunnerFactory runners, Func<BackgroundLoad, IDisposable> startLoad)
{
    public async Task<RetestResult> RunAsync(RetestRequest request, IProgress<string>? status = null, CancellationToken cancellation = default)
    {
        if (!(request.PauseSeconds >= 0 && request.PauseSeconds <= 3_600))
        {
            throw new InvalidInputException($"--pause-seconds must be between 0 and 3,600 (got {request.PauseSeconds}).");
        }
        var device = DeviceDescriptorReader.Resolve(request.Device);
        var space = SearchSpaces.Get("nb201");
        var sample = space.SampleDistinct(request.Count, request.Seed);
        var protocols = new (string Name, MeasurementProtocol Protocol)[]
        {
            (MeasurementProtocols.Burst, MeasurementProtocol.Burst),
            (MeasurementProtocols.Interleaved, (device.Protocol is { Mode: MeasurementMode.Interleaved } own ? own : MeasurementProtocol.Default) is var interleaved
                && request.Precision is { } precision ? interleaved with { TargetRelativePrecision = precision } : interleaved),
        };
        if (request.KeepStore is { } kept && File.Exists(kept))
        {
            throw new InvalidInputException($"{kept} exists; give a new file to keep the retest's store in.");
        }
        string directory = Directory.CreateTempSubdirectory("latnas-retest-").FullName;
        try
        {
            using var load = request.Load == BackgroundLoad.None ? null : startLoad(request.Load);
            using var store = ProfileStore.Open(request.KeepStore ?? Path.Combine(directory, "retest.db"));
            var seconds = protocols.ToDictionary(p => p.Name, _ => new List<(double Total, double Measuring)>());
            var interleavedBatches = new List<IReadOnlyList<StoredBatch>>();
            for (int session = 1; session <= 2; session++)
            {
                foreach (var (name, protocol) in protocols)
                {
                    status?.Report($"session {session}, {name} protocol: {sample.Count} architectures");
                    await using var runner = runners.Create(device with { Name = name });
                    var clock = Stopwatch.StartNew();
                    var summary = await new Profiler(runner, store, new ProfileOptions { Protocol = protocol, Session = session }).RunAsync(space, sample, null, cancellation);
                    if (!summary.Completed)
                    {
                        throw new RunFailedException($"the {name} profile stopped: {summary.StopReason}");
                    }
                    seconds[name].Add((clock.Elapsed.TotalSeconds / sample.Count, summary.Measuring.TotalSeconds / sample.Count));
                    if (name == MeasurementProtocols.Interleaved)
                    {
                        interleavedBatches.Add(summary.Batches ?? []);
                    }
                }
                if (session == 1 && request.PauseSeconds > 0)
                {
                    status?.Report($"pausing {request.PauseSeconds:0} s between the sessions");
                    await Task.Delay(TimeSpan.FromSeconds(request.PauseSeconds), cancellation);
                }
            }
            var measured = protocols.ToDictionary(p => p.Name, p => store.Measurements.Read(store.Devices.Get(p.Name)));
            var rows = protocols.Select(p => Row(measured[p.Name], p.Name, p.Protocol, seconds[p.Name].Average(s => s.Total), seconds[p.Name].Average(s => s.Measuring))).ToList();
            var interleavedProtocol = protocols.Single(p => p.Name == MeasurementProtocols.Interleaved).Protocol;
            return new RetestResult(device.Name, DeviceFingerprint.HostCpuModel(), sample.Count, request.PauseSeconds, request.Load, rows,
                Batches(Pairs(measured[MeasurementProtocols.Interleaved]), interleavedProtocol, interleavedBatches[0], interleavedBatches[1]));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>An architecture's two estimates, one per session.</summary>
    private sealed record Retested(StoredMeasurement First, StoredMeasurement Second)
    {
        /// <summary>Second ÷ first, as stored (corrected).</summary>
        public double Ratio => Second.LatencyMs!.Value / First.LatencyMs!.Value;

        /// <summary>Second ÷ first before the drift correction.</summary>
        private double RawRatio => (Second.RawLatencyMs ?? Second.LatencyMs!.Value) / (First.RawLatencyMs ?? First.LatencyMs!.Value);

        /// <summary>Whether the second estimate fell within <paramref name="precision"/> of the first.</summary>
        public bool Within(double precision) => Math.Abs(Ratio - 1) <= precision;

        /// <summary>The same before the drift correction.</summary>
        public bool WithinUncorrected(double precision) => Math.Abs(RawRatio - 1) <= precision;
    }

    /// <summary>The architectures measured in both sessions, by digits.</summary>
    private static Dictionary<string, Retested> Pairs(IReadOnlyList<StoredMeasurement> measurements)
    {
        var second = measurements.Where(m => m.Session == 2 && m.Ok).ToDictionary(m => m.Digits);
        return measurements.Where(m => m.Session == 1 && m.Ok && second.ContainsKey(m.Digits)).ToDictionary(m => m.Digits, m => new Retested(m, second[m.Digits]));
    }

    private static IReadOnlyList<RetestBatch> Batches(Dictionary<string, Retested> pairs, MeasurementProtocol protocol, IReadOnlyList<StoredBatch> first, IReadOnlyList<StoredBatch> second)
    {
        var secondBatchOf = second.SelectMany(b => b.Digits.Select(d => (d, b))).ToDictionary(p => p.d, p => p.b);
        double precision = protocol.TargetRelativePrecision ?? double.NaN;
        var batches = new List<RetestBatch>();
        foreach (var batch in first)
        {
            var both = batch.Digits.Where(pairs.ContainsKey).ToList();
            if (both.Count == 0)
            {
                continue;
            }
            var precise = both.Where(d => pairs[d].First.PrecisionMet == true).ToList();
            var measuredAgainIn = both.Where(secondBatchOf.ContainsKey).GroupBy(d => secondBatchOf[d]).MaxBy(g => g.Count())?.Key;
            batches.Add(new RetestBatch(both.Count, precise.Count, precise.Count(d => pairs[d].Within(precision)),
                Descriptive.Median(both.Select(d => pairs[d].Ratio).ToList()), batch.Drift, measuredAgainIn?.Drift));
        }
        return batches;
    }

    private static RetestRow Row(IReadOnlyList<StoredMeasurement> measurements, string name, MeasurementProtocol protocol, double secondsPerArchitecture, double measuringSecondsPerArchitecture)
    {
        var pairs = Pairs(measurements).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
        double Share(Func<Retested, bool> holds) => pairs.Count == 0 ? double.NaN : pairs.Count(holds) / (double)pairs.Count;
        var precise = pairs.Where(p => p.First.PrecisionMet == true).ToList();
        var ok = measurements.Where(m => m.Ok).ToList();
        int visits = ok.Sum(m => m.Visits ?? 0);
        double precision = protocol.TargetRelativePrecision ?? double.NaN;
        var drifts = ok.Select(m => m.Drift ?? 1).DefaultIfEmpty(1).ToList();
        return new RetestRow(name, precision,
            Share(p => p.Within(0.05)),
            Share(p => p.Within(0.10)),
            RankCorrelation.Spearman(pairs.Select(p => p.First.LatencyMs!.Value).ToList(), pairs.Select(p => p.Second.LatencyMs!.Value).ToList()),
            secondsPerArchitecture,
            pairs.Count == 0 ? double.NaN : precise.Count / (double)pairs.Count,
            precise.Count == 0 ? double.NaN : precise.Count(p => p.Within(precision)) / (double)precise.Count,
            Share(p => p.First.CiHalfWidthRelative is { } width && p.Within(width)),
            measurements.Count(m => !m.Ok),
            ok.Count == 0 ? 0 : ok.Average(m => m.Visits ?? 0),
            visits == 0 ? 0 : ok.Sum(m => m.ContendedVisits ?? 0) / (double)visits,
            Share(p => p.WithinUncorrected(0.05)),
            Share(p => p.WithinUncorrected(0.10)),
            drifts.Min(), drifts.Max(),
            measuringSecondsPerArchitecture);
    }
}

/// <summary>Keeps one core busy in cycles, in a process of its own, until disposed: the bench's generated load.</summary>
public sealed class LoadProcess : IDisposable
{
    private readonly Process _process;

    private LoadProcess(Process process) => _process = process;

    /// <param name="executable">A program that burns one core as <paramref name="arguments"/> say (latnas's hidden <c>bench load</c>).</param>
    public static LoadProcess Start(string executable, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return new LoadProcess(Process.Start(start) ?? throw new RunFailedException($"could not start the load generator {executable}"));
    }

    /// <summary>Burns the calling thread for <paramref name="busy"/>, rests for <paramref name="idle"/>, until cancelled.</summary>
    public static void Burn(TimeSpan busy, TimeSpan idle, CancellationToken cancellation)
    {
        double sink = 0;
        while (!cancellation.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < busy && !cancellation.IsCancellationRequested)
            {
                for (int i = 0; i < 10_000; i++)
                {
                    sink += Math.Sqrt(i + sink % 7);
                }
            }
            cancellation.WaitHandle.WaitOne(idle);
        }
        GC.KeepAlive(sink);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
