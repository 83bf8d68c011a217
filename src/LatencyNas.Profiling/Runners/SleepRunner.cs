using System.Globalization;
using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Runners;

/// <summary>
/// The sleep "device": a load generator for queues and fleets. Measuring an architecture sleeps its
/// synthetic latency (<see cref="SleepSettings.LatencyMs"/>) once and reports exactly that latency, so a
/// fleet of workers can be driven, killed and counted without a CPU or an agent being the limit.
/// </summary>
public sealed class SleepRunner : IDeviceRunner
{
    private readonly SleepSettings _sleep;
    private readonly object _logLock = new();

    public SleepRunner(DeviceDescriptor device)
    {
        Device = device;
        _sleep = device is { Runtime: DeviceRuntime.Sleep, Sleep: { } sleep }
            ? sleep
            : throw new ArgumentException($"Device '{device.Name}' is not a sleep device.", nameof(device));
    }

    public DeviceDescriptor Device { get; }

    public bool CanPrepareWhileMeasuring(MeasurementMode mode) => true;

    /// <summary>The same on every machine: a worker anywhere may serve a sleep device's queue.</summary>
    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation)
    {
        if (_sleep.CallLog is { } folder)
        {
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new DeviceUnavailableException($"The sleep device's call log folder '{folder}' cannot be created: {error.Message}");
            }
        }
        string sleep = string.Create(CultureInfo.InvariantCulture, $"{_sleep.Milliseconds:R}+{_sleep.MillisecondsPerChoice:R}");
        return Task.FromResult(DeviceFingerprint.ForHost(Device, sleep) with { CpuModel = "none (load generator)", Cores = 0, OperatingSystem = "any", Provider = "none" });
    }

    public IPreparedModel Prepare(ModelRequest request, int instances = 1) => new SleepModel(request);

    public async Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var outcomes = new List<ModelOutcome>(batch.Count);
        foreach (var model in batch)
        {
            double latency = _sleep.LatencyMs(model.Request.Architecture);
            LogCall(model.Request);
            await Task.Delay(TimeSpan.FromMilliseconds(latency), cancellation);
            outcomes.Add(ModelOutcome.Measured(model.Request, new Measurement(
                LatencyStatistics.FromSamples([latency, latency, latency], protocol.TargetRelativePrecision, warmupRuns: 0, warmupSettled: true), 0)));
        }
        return outcomes;
    }

    private void LogCall(ModelRequest request)
    {
        if (_sleep.CallLog is not { } folder)
        {
            return;
        }
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {request.Space.Name} {request.Architecture.Digits}\n");
        lock (_logLock)
        {
            File.AppendAllText(Path.Combine(folder, $"{Environment.ProcessId}.calls"), line);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed record SleepModel(ModelRequest Request) : IPreparedModel
    {
        public void Dispose()
        {
        }
    }
}
