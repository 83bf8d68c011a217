using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows.Tests.Runners;

/// <summary>
/// A runner whose every measurement of an architecture returns a latency the test knows in advance,
/// so what a use case does with a measurement can be checked exactly. It measures the way the protocol
/// asks — visits when interleaved, one block of runs in a burst — and counts what it was asked.
/// </summary>
internal sealed class KnownTimesRunner(DeviceDescriptor device, Func<ModelRequest, MeasurementMode, double> latencyMs) : IDeviceRunner, IDeviceRunnerFactory
{
    public KnownTimesRunner(DeviceDescriptor device, Func<ModelRequest, double> latencyMs) : this(device, (request, _) => latencyMs(request))
    {
    }

    private readonly List<string> _measured = [];

    public DeviceDescriptor Device { get; private set; } = device;

    public bool CanPrepareWhileMeasuring(MeasurementMode mode) => false;

    /// <summary>Digits of every architecture measured, in order.</summary>
    public IReadOnlyList<string> Measured => _measured;

    /// <summary>Batches measured so far, the one being measured included: a latency may depend on it.</summary>
    public int Batches { get; private set; }

    public IDeviceRunner Create(DeviceDescriptor descriptor)
    {
        Device = descriptor;
        return this;
    }

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation) => Task.FromResult(DeviceFingerprint.ForHost(Device, "known times 1.0"));

    public IPreparedModel Prepare(ModelRequest request, int instances = 1) => new OnnxModel(request, []);

    public Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        Batches++;
        var outcomes = new List<ModelOutcome>();
        foreach (var model in batch)
        {
            double ms = latencyMs(model.Request, protocol.Mode);
            _measured.Add(model.Request.Architecture.Digits);
            if (protocol.Mode == MeasurementMode.Interleaved)
            {
                var visits = Enumerable.Range(1, protocol.MinRounds).Select(round => new Visit(round, ms, protocol.KeptRunsPerVisit)).ToList();
                var runs = Enumerable.Repeat(ms, visits.Sum(v => v.Runs)).ToList();
                var statistics = LatencyStatistics.FromVisits(visits, visits, runs, protocol.TargetRelativePrecision, protocol.WarmupRunsPerArchitecture,
                    contendedVisits: 0, minimumForPrecision: protocol.MinRounds, estimator: protocol.Estimator);
                outcomes.Add(ModelOutcome.Measured(model.Request, new Measurement(statistics, SessionCreationMs: 1, Visits: visits)));
            }
            else
            {
                var statistics = LatencyStatistics.FromSamples([ms, ms, ms, ms, ms], protocol.TargetRelativePrecision, warmupRuns: 3, warmupSettled: true);
                outcomes.Add(ModelOutcome.Measured(model.Request, new Measurement(statistics, SessionCreationMs: 1)));
            }
        }
        return Task.FromResult<IReadOnlyList<ModelOutcome>>(outcomes);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
