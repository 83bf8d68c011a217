using System.Collections.Concurrent;
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
    /// The next models' export and session creation may run beside the measurement only where that leaves a core for the
    /// preparation and another for the machine's other work (<see cref="LeavesCoresToPrepareOn"/>); a GPU measurement leaves the CPU free.
    /// (The profiler still measures the batch that stores a device's reference latencies with nothing prepared beside it.)
    /// </summary>
    public bool CanPrepareWhileMeasuring(MeasurementMode mode)
        => Device.Provider == ExecutionProvider.Cuda || LeavesCoresToPrepareOn(Device.Threads, Environment.ProcessorCount);

    /// <summary>
    /// Whether a CPU measurement on <paramref name="threads"/> threads leaves two of <paramref name="cores"/> free: one for preparing
    /// beside it and one for other work. With one free core, preparing beside the measurement shares that core with whatever else
    /// runs, and the scheduler moves one of them onto the measuring core: in six retests on two cores with a load on the other
    /// (docs/measurement.md), 5–8% of visits were contended with the preparation beside and 0.3% without, and the batches'
    /// references stopped agreeing with their own architectures — 42.5–47.5% re-measured within ±5% against 87–90.5%.
    /// </summary>
    public static bool LeavesCoresToPrepareOn(int threads, int cores) => threads + 2 <= cores;

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation)
    {
        OrtTimedSession.EnsureAvailable(Device.Provider);
        return Task.FromResult(DeviceFingerprint.ForHost(Device, OrtTimedSession.Version));
    }

    public IPreparedModel Prepare(ModelRequest request, int instances = 1) => new PreparedOrtSession(request, models.Export(request), OrtSettings.From(Device), instances);

    public Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var prepared = batch.Select(m => m as PreparedOrtSession ?? throw new ArgumentException("The ONNX Runtime runner measures the models it prepared.", nameof(batch))).ToList();
        var requests = prepared.Select(m => m.Request).ToList();
        var measured = OrtTimedSession.MeasureBatch(prepared, m => m.Take(), protocol, _engine, BatchMeasurement.Seed(requests), cancellation);
        return Task.FromResult<IReadOnlyList<ModelOutcome>>(requests.Zip(measured, ModelOutcome.From).ToList());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// A request's ONNX bytes with the sessions the preparation created for them, so that when the
/// preparation runs on another core the measuring thread only runs (creating a session took about
/// 12 ms of every NB201 architecture's 80 ms on the measuring thread). Each session goes to the first
/// measurement that takes it; a later attempt (a retried batch) loads the bytes afresh.
/// </summary>
public sealed class PreparedOrtSession : IPreparedModel
{
    private readonly byte[] _bytes;
    private readonly OrtSettings _settings;
    private readonly DeviceException? _refused;
    private readonly ConcurrentQueue<OrtTimedSession> _sessions = new();

    /// <param name="instances">Sessions to create now, each on memory of its own.</param>
    public PreparedOrtSession(ModelRequest request, byte[] bytes, OrtSettings settings, int instances = 1)
    {
        Request = request;
        _bytes = bytes;
        _settings = settings;
        try
        {
            foreach (var session in OrtTimedSession.CreateInstances(bytes, settings, instances))
            {
                _sessions.Enqueue(session);
            }
        }
        catch (DeviceException error) when (!error.IsTransient)
        {
            Dispose(); // the sessions created before the refusal
            _refused = error; // reported by the measurement, where a refused model fails alone
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ModelRequest Request { get; }

    /// <summary>Sessions created with the model and not taken yet.</summary>
    public int SessionsReady => _sessions.Count;

    /// <summary>A session, which the caller then owns: one created ahead while any is left, else a new one.</summary>
    /// <exception cref="DeviceException">The runtime refused the model (not transient).</exception>
    public ITimedModel Take()
        => _refused is not null ? throw new DeviceException(_refused.Message, isTransient: false, _refused)
           : _sessions.TryDequeue(out var session) ? session
           : OrtTimedSession.Create(_bytes, _settings);

    public void Dispose()
    {
        while (_sessions.TryDequeue(out var session))
        {
            session.Dispose();
        }
    }
}
