using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Runners;

/// <summary>A model made ready for one runner (ONNX bytes, a built network); prepared off the measuring thread when the runner allows.</summary>
public interface IPreparedModel : IDisposable
{
    ModelRequest Request { get; }
}

/// <summary>ONNX bytes of a request: what ONNX Runtime and remote runners measure.</summary>
public sealed record OnnxModel(ModelRequest Request, byte[] Bytes) : IPreparedModel
{
    public void Dispose()
    {
    }
}

/// <summary>
/// Measures architectures on one device. Local runners (ONNX Runtime, TorchSharp) and the remote
/// agent runner all sit behind this interface, so <c>latnas profile</c> treats them alike.
/// </summary>
public interface IDeviceRunner : IAsyncDisposable
{
    DeviceDescriptor Device { get; }

    /// <summary>Whether <see cref="Prepare"/> may run on another thread while <see cref="MeasureAsync"/> runs without disturbing it.</summary>
    bool CanPrepareConcurrently { get; }

    /// <summary>How many measurements may run at once (one per remote agent; 1 for a local runner).</summary>
    int Concurrency => 1;

    /// <summary>Checks that the device is present and usable and describes it.</summary>
    /// <exception cref="DeviceUnavailableException">The device or its provider is absent.</exception>
    Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation);

    /// <summary>Builds what <see cref="MeasureAsync"/> needs. Thread-safe.</summary>
    IPreparedModel Prepare(ModelRequest request);

    /// <exception cref="DeviceException">The runner failed; <see cref="Core.LatencyNasException.IsTransient"/> says whether to retry.</exception>
    Task<Measurement> MeasureAsync(IPreparedModel model, MeasurementProtocol protocol, CancellationToken cancellation);
}
