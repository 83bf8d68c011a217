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

    /// <summary>
    /// The first N measurements of these architectures come back disturbed, as if the device had been
    /// stopped for a second in the middle of one run: the mean far above the median, the precision missed.
    /// </summary>
    public IReadOnlyDictionary<string, int> DisturbedMeasurements { get; init; } = new Dictionary<string, int>();

    public int Attempts(string digits) => _attempts.GetValueOrDefault(digits);

    public int TotalAttempts => _attempts.Values.Sum();

    public DeviceDescriptor Device => inner.Device;

    public bool CanPrepareWhileMeasuring(MeasurementMode mode) => inner.CanPrepareWhileMeasuring(mode);

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation) => inner.ProbeAsync(cancellation);

    public IPreparedModel Prepare(ModelRequest request, int instances = 1) => inner.Prepare(request, instances);

    /// <summary>
    /// A transient fault or a stall of any architecture fails or stalls its whole batch (as a dropped
    /// connection would); a permanent fault fails that architecture alone, and the rest are measured for real.
    /// </summary>
    public async Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var attempts = batch.Select(m => (Model: m, Attempt: _attempts.AddOrUpdate(m.Request.Architecture.Digits, 1, (_, n) => n + 1))).ToList();
        if (FailEverything)
        {
            throw new DeviceException($"injected permanent fault on {batch[0].Request.Architecture.Digits}", isTransient: false);
        }
        if (attempts.FirstOrDefault(a => a.Attempt <= TransientFailuresPerArchitecture) is { Model: { } transient })
        {
            throw new DeviceException($"injected transient fault on {transient.Request.Architecture.Digits}", isTransient: true);
        }
        if (attempts.Any(a => a.Attempt == 1 && StallingOnce.Contains(a.Model.Request.Architecture.Digits)))
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        var healthy = batch.Where(m => !PermanentlyFailing.Contains(m.Request.Architecture.Digits)).ToList();
        var measured = healthy.Count > 0 ? await inner.MeasureAsync(healthy, protocol, cancellation) : [];
        return attempts.Select(a => PermanentlyFailing.Contains(a.Model.Request.Architecture.Digits)
            ? ModelOutcome.Failed(a.Model.Request, $"injected permanent fault on {a.Model.Request.Architecture.Digits}")
            : a.Attempt <= DisturbedMeasurements.GetValueOrDefault(a.Model.Request.Architecture.Digits)
                ? Disturb(measured[healthy.IndexOf(a.Model)])
                : measured[healthy.IndexOf(a.Model)]).ToList();
    }

    private static ModelOutcome Disturb(ModelOutcome outcome)
    {
        var measurement = outcome.Measurement!;
        var s = measurement.Statistics;
        // As if one run had taken a second longer: the mean far above the median, which the stop hardly moves.
        return outcome with { Measurement = measurement with { Statistics = s with { MeanMs = s.MeanMs + 1000.0 / s.Runs, PrecisionMet = false } } };
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
