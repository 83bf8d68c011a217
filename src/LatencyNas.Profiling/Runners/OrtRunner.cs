using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Runners;

/// <summary>ONNX Runtime in this process, on the CPU or (in a GPU build) CUDA.</summary>
public sealed class OrtRunner(DeviceDescriptor device, IOnnxModelSource models) : IDeviceRunner
{
    public DeviceDescriptor Device { get; } = device.Runtime == DeviceRuntime.OnnxRuntime
        ? device
        : throw new ArgumentException($"Device '{device.Name}' is not an onnxruntime device.", nameof(device));

    /// <summary>Model export may use a core the measurement leaves free.</summary>
    public bool CanPrepareConcurrently => Device.Provider == ExecutionProvider.Cuda || Device.Threads < Environment.ProcessorCount;

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation)
    {
        OrtTimedSession.EnsureAvailable(Device.Provider);
        return Task.FromResult(DeviceFingerprint.ForHost(Device, OrtTimedSession.Version));
    }

    public IPreparedModel Prepare(ModelRequest request) => new OnnxModel(request, models.Export(request));

    public Task<Measurement> MeasureAsync(IPreparedModel model, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var onnx = model as OnnxModel ?? throw new ArgumentException("The ONNX Runtime runner measures ONNX models.", nameof(model));
        return Task.FromResult(OrtTimedSession.Measure(onnx.Bytes, OrtSettings.From(Device), protocol, cancellation));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
