using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Runners;

/// <summary>ONNX Runtime in this process, on the CPU or (in a GPU build) CUDA.</summary>
public sealed class OrtRunner(DeviceDescriptor device, IOnnxModelSource models, InterleavedEngine? engine = null) : IDeviceRunner
{
    private readonly InterleavedEngine _engine = engine ?? InterleavedEngine.ForThisMachine();

    public DeviceDescriptor Device { get; } = device.Runtime == DeviceRuntime.OnnxRuntime
        ? device
        : throw new ArgumentException($"Device '{device.Name}' is not an onnxruntime device.", nameof(device));

    /// <summary>
    /// The next models' export may run on a core the measurement leaves free. It slows some visits
    /// without marking them contended (the meter counts this process's CPU as its own), but the
    /// interleaved estimate is the fastest visit, and measured both ways (docs/measurement.md) the
    /// overlap cost no reproducibility while it saved a quarter of the time. A GPU measurement leaves the CPU free.
    /// </summary>
    public bool CanPrepareWhileMeasuring(MeasurementMode mode)
        => Device.Provider == ExecutionProvider.Cuda || Device.Threads < Environment.ProcessorCount;

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation)
    {
        OrtTimedSession.EnsureAvailable(Device.Provider);
        return Task.FromResult(DeviceFingerprint.ForHost(Device, OrtTimedSession.Version));
    }

    public IPreparedModel Prepare(ModelRequest request) => new OnnxModel(request, models.Export(request));

    public Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var onnx = batch.Select(m => m as OnnxModel ?? throw new ArgumentException("The ONNX Runtime runner measures ONNX models.", nameof(batch))).ToList();
        var requests = onnx.Select(m => m.Request).ToList();
        var measured = OrtTimedSession.MeasureBatch(onnx.Select(m => m.Bytes).ToList(), OrtSettings.From(Device), protocol, _engine, BatchMeasurement.Seed(requests), cancellation);
        return Task.FromResult<IReadOnlyList<ModelOutcome>>(requests.Zip(measured, ModelOutcome.From).ToList());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
