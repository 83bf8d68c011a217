using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Runners;

/// <summary>
/// Wraps a real runner that prepares the next batch while one is measured, and watches the first batch: its
/// measurement waits up to <paramref name="wait"/> for a model to be prepared beside it before it starts, and
/// counts the models prepared while it runs.
/// </summary>
internal sealed class PreparationWatchingRunner(IDeviceRunner inner, TimeSpan wait) : IDeviceRunner
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _prepared = new(0);
    private bool _measuringFirst;
    private int _batches;

    /// <summary>Models prepared while the first batch was being measured.</summary>
    public int PreparedBesideFirstBatch { get; private set; }

    public DeviceDescriptor Device => inner.Device;

    public bool CanPrepareWhileMeasuring(MeasurementMode mode) => true;

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation) => inner.ProbeAsync(cancellation);

    public IPreparedModel Prepare(ModelRequest request, int instances = 1)
    {
        lock (_gate)
        {
            if (_measuringFirst)
            {
                PreparedBesideFirstBatch++;
                _prepared.Release();
            }
        }
        return inner.Prepare(request, instances);
    }

    public async Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        bool first;
        lock (_gate)
        {
            first = ++_batches == 1;
            _measuringFirst = first;
        }
        try
        {
            if (first)
            {
                await _prepared.WaitAsync(wait, cancellation);
            }
            return await inner.MeasureAsync(batch, protocol, cancellation);
        }
        finally
        {
            lock (_gate)
            {
                _measuringFirst = false;
            }
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
