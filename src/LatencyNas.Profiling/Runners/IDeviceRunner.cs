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

    /// <summary>Whether <see cref="Prepare"/> may run on another thread while <see cref="MeasureAsync"/> measures in this mode, without disturbing it.</summary>
    bool CanPrepareWhileMeasuring(MeasurementMode mode);

    /// <summary>How many measurements may run at once (one per remote agent; 1 for a local runner).</summary>
    int Concurrency => 1;

    /// <summary>How long a measurement may wait for a device that went away to come back (remote agents); zero for a local device.</summary>
    TimeSpan OutageGrace => TimeSpan.Zero;

    /// <summary>Checks that the device is present and usable and describes it.</summary>
    /// <exception cref="DeviceUnavailableException">The device or its provider is absent.</exception>
    Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation);

    /// <summary>
    /// Checks, after <see cref="ProbeAsync"/>, that the device will measure with <paramref name="protocol"/> at all (a remote
    /// agent's limits), so that a profile it would refuse stops before it measures or records anything. Nothing to check locally.
    /// </summary>
    /// <exception cref="Core.InvalidInputException">A setting of the protocol exceeds a limit of the device; the message says which and what to change.</exception>
    void CheckProtocol(MeasurementProtocol protocol)
    {
    }

    /// <summary>Builds what <see cref="MeasureAsync"/> needs. Thread-safe.</summary>
    /// <param name="instances">Sessions the measurement will load the model in (<see cref="MeasurementProtocol.Instances"/>): a runner that loads ahead loads that many.</param>
    IPreparedModel Prepare(ModelRequest request, int instances = 1);

    /// <summary>
    /// Measures a batch of prepared models with the protocol's mode: interleaved visits across the
    /// batch, or one burst after another. One outcome per model, in order: a model the runtime refuses,
    /// or that contention kept from being measured, fails alone.
    /// </summary>
    /// <exception cref="DeviceException">The batch as a whole failed; <see cref="Core.LatencyNasException.IsTransient"/> says whether to retry it.</exception>
    Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation);
}
