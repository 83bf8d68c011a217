using LatencyNas.Core.Measurements;
using System.Collections.Concurrent;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Runners;

/// <summary>
/// Wraps a real runner and makes chosen attempts fail the way devices do: a transient fault, a
/// permanent fault, or a stall that only a timeout ends. Everything else reaches the real runner.
/// </summary>
internal sealed class FaultInjectingRunner(IDeviceRunner inner) : IDeviceRunner
{
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    /// <summary>Fails the first N attempts of every architecture with a transient fault.</summary>
    public int TransientFailuresPerArchitecture { get; init; }

    /// <summary>Architectures (digits) that always fail with a permanent fault.</summary>
    public IReadOnlySet<string> PermanentlyFailing { get; init; } = new HashSet<string>();

    /// <summary>Architectures (digits) whose first attempt stalls until cancelled.</summary>
    public IReadOnlySet<string> StallingOnce { get; init; } = new HashSet<string>();

    public bool FailEverything { get; init; }

    public int Attempts(string digits) => _attempts.GetValueOrDefault(digits);

    public int TotalAttempts => _attempts.Values.Sum();

    public DeviceDescriptor Device => inner.Device;

    public bool CanPrepareConcurrently => inner.CanPrepareConcurrently;

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation) => inner.ProbeAsync(cancellation);

    public IPreparedModel Prepare(ModelRequest request) => inner.Prepare(request);

    public async Task<Measurement> MeasureAsync(IPreparedModel model, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        string digits = model.Request.Architecture.Digits;
        int attempt = _attempts.AddOrUpdate(digits, 1, (_, n) => n + 1);
        if (FailEverything || PermanentlyFailing.Contains(digits))
        {
            throw new DeviceException($"injected permanent fault on {digits}", isTransient: false);
        }
        if (attempt <= TransientFailuresPerArchitecture)
        {
            throw new DeviceException($"injected transient fault on {digits}", isTransient: true);
        }
        if (attempt == 1 && StallingOnce.Contains(digits))
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        return await inner.MeasureAsync(model, protocol, cancellation);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
