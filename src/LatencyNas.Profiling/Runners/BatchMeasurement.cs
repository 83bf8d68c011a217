using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Runners;

/// <summary>A model loaded on a device (an inference session, a built network) and ready to be timed one run at a time.</summary>
public interface ITimedModel : IDisposable
{
    /// <summary>Time to create the session or load the network, timed apart from the runs.</summary>
    double SessionCreationMs { get; }

    /// <summary>One run, timed with a monotonic clock around the run call only.</summary>
    double TimeOneRunMs();

    /// <summary>Makes a cancellation also stop a run in flight where the runtime can; disposing the result undoes it.</summary>
    IDisposable StopRunsOn(CancellationToken cancellation);
}

/// <summary>What became of one architecture of a batch: its measurement, or why it has none.</summary>
public sealed record ModelOutcome(ModelRequest Request, Measurement? Measurement, string? Failure, string? Agent = null)
{
    public static ModelOutcome Measured(ModelRequest request, Measurement measurement) => new(request, measurement, null, measurement.Agent);

    public static ModelOutcome Failed(ModelRequest request, string reason, string? agent = null) => new(request, null, reason, agent);

    public static ModelOutcome From(ModelRequest request, MeasuredModel measured)
        => measured.Measurement is { } measurement ? Measured(request, measurement) : Failed(request, measured.Failure!);
}

/// <summary>One model of a batch measured on this machine: its measurement, or why it has none.</summary>
public sealed record MeasuredModel(Measurement? Measurement, string? Failure);

/// <summary>
/// Measures a batch of models on this machine with the protocol's mode: every model is loaded first, as many
/// times as the protocol has instances (one the runtime refuses fails alone), then timed in interleaved visits across the batch, or one
/// burst after another; interleaved rounds visit the CPUs in turn (<see cref="MeasurementProtocol.RotateCpus"/>). Shared by the local runners and the edge agent.
/// </summary>
public static class BatchMeasurement
{
    /// <param name="load">Loads a model once; called <see cref="MeasurementProtocol.Instances"/> times per model, each call a session of its own.</param>
    /// <param name="seed">Seeds the order of the rounds.</param>
    /// <exception cref="DeviceException">A transient fault, or the runtime failed in the middle of the batch.</exception>
    public static IReadOnlyList<MeasuredModel> Measure<T>(IReadOnlyList<T> batch, Func<T, ITimedModel> load, MeasurementProtocol protocol,
        InterleavedEngine engine, int seed, CancellationToken cancellation)
    {
        var outcomes = new MeasuredModel?[batch.Count];
        var loaded = new List<(int Index, ITimedModel[] Instances)>(batch.Count);
        var everyInstance = new List<ITimedModel>();
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                var instances = new List<ITimedModel>(protocol.Instances);
                try
                {
                    while (instances.Count < protocol.Instances)
                    {
                        instances.Add(load(batch[i]));
                        everyInstance.Add(instances[^1]);
                    }
                    loaded.Add((i, [.. instances]));
                }
                catch (DeviceException error) when (!error.IsTransient)
                {
                    outcomes[i] = new MeasuredModel(null, error.Message.Split('\n', 2)[0]);
                }
            }
            var stops = everyInstance.Select(m => m.StopRunsOn(cancellation)).ToList();
            // A CPU for as many rounds as an architecture has instances, so that each instance is visited on every CPU.
            using var rotation = protocol.Mode == MeasurementMode.Interleaved && protocol.RotateCpus ? ThreadPinning.RotateCurrentThread() : null;
            try
            {
                if (protocol.Mode == MeasurementMode.Burst)
                {
                    foreach (var (index, instances) in loaded)
                    {
                        var statistics = MeasurementEngine.Measure(instances[0].TimeOneRunMs, protocol, cancellation);
                        outcomes[index] = new MeasuredModel(new Measurement(statistics, instances[0].SessionCreationMs), null);
                    }
                }
                else if (loaded.Count > 0)
                {
                    var visited = engine.Measure(loaded.Select(l => (IReadOnlyList<Func<double>>)l.Instances.Select(m => (Func<double>)m.TimeOneRunMs).ToList()).ToList(),
                        protocol, seed, cancellation, rotation is null ? null : round => rotation.Place((round - 1) / protocol.Instances + 1));
                    for (int k = 0; k < loaded.Count; k++)
                    {
                        var (index, instances) = loaded[k];
                        var result = visited[k];
                        outcomes[index] = result.Statistics is { } statistics
                            ? new MeasuredModel(new Measurement(statistics, instances[0].SessionCreationMs, Visits: result.Visits), null)
                            : new MeasuredModel(null, result.TooBusy);
                    }
                }
            }
            finally
            {
                foreach (var stop in stops)
                {
                    stop.Dispose();
                }
            }
        }
        finally
        {
            foreach (var model in everyInstance)
            {
                model.Dispose();
            }
        }
        return outcomes.Select(o => o!).ToList();
    }

    /// <summary>A seed for a batch's rounds that depends on which architectures are in it, not on when it runs.</summary>
    public static int Seed(IReadOnlyList<ModelRequest> batch)
    {
        uint hash = 2166136261;
        foreach (char c in string.Join(",", batch.Select(r => r.Architecture.Digits)))
        {
            hash = (hash ^ c) * 16777619;
        }
        return (int)(hash & int.MaxValue);
    }
}
