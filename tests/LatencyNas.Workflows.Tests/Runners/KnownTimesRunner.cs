using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows.Tests.Runners;

/// <summary>
/// A runner whose every measurement of an architecture returns a latency the test knows in advance,
/// so what a use case does with a measurement can be checked exactly. It counts what it was asked.
/// </summary>
internal sealed class KnownTimesRunner(DeviceDescriptor device, Func<ModelRequest, double> latencyMs) : IDeviceRunner, IDeviceRunnerFactory
{
    private readonly List<string> _measured = [];

    public DeviceDescriptor Device { get; private set; } = device;

    public bool CanPrepareConcurrently => false;

    /// <summary>Digits of every architecture measured, in order.</summary>
    public IReadOnlyList<string> Measured => _measured;

    public IDeviceRunner Create(DeviceDescriptor descriptor)
    {
        Device = descriptor;
        return this;
    }

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation) => Task.FromResult(DeviceFingerprint.ForHost(Device, "known times 1.0"));

    public IPreparedModel Prepare(ModelRequest request) => new OnnxModel(request, []);

    public Task<Measurement> MeasureAsync(IPreparedModel model, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        double ms = latencyMs(model.Request);
        _measured.Add(model.Request.Architecture.Digits);
        var statistics = LatencyStatistics.FromSamples([ms, ms, ms, ms, ms], protocol.TargetRelativePrecision, warmupRuns: 3, warmupSettled: true);
        return Task.FromResult(new Measurement(statistics, SessionCreationMs: 1));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
