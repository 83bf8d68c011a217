using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Devices;

/// <summary>Which software runs the network.</summary>
public enum DeviceRuntime
{
    /// <summary>ONNX Runtime in this process.</summary>
    OnnxRuntime,

    /// <summary>TorchSharp eager execution in this process.</summary>
    TorchSharp,

    /// <summary>ONNX Runtime in a <c>latnas agent</c> reached over HTTP.</summary>
    Remote,

    /// <summary>No device: a load generator whose "measurement" is a sleep of a set length (<see cref="SleepSettings"/>).</summary>
    Sleep,
}

/// <summary>Where the runtime computes.</summary>
public enum ExecutionProvider
{
    Cpu,
    Cuda,
}

/// <summary>How to reach a remote agent (runtime <see cref="DeviceRuntime.Remote"/>).</summary>
/// <param name="Endpoints">Agent base addresses; several agents of the same device kind share a profile.</param>
/// <param name="TokenEnvironmentVariable">Environment variable holding the bearer token, if any.</param>
/// <param name="TokenFile">File holding the bearer token, if any (used when the variable is unset).</param>
/// <param name="AttemptTimeout">Longest one HTTP attempt may take.</param>
/// <param name="OutageGrace">How long an agent that stopped answering (restarted, rebooted, off the network) is waited for,
/// probing <c>/healthz</c>, before its measurements count as failed. Default 2 minutes.</param>
public sealed record RemoteEndpoint(IReadOnlyList<Uri> Endpoints, string? TokenEnvironmentVariable, string? TokenFile, TimeSpan AttemptTimeout, TimeSpan OutageGrace)
{
    public static TimeSpan DefaultOutageGrace { get; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// What the sleep "device" (a load generator for queues and fleets, not a device) reports for an
/// architecture: <see cref="Milliseconds"/> plus <see cref="MillisecondsPerChoice"/> times the sum of its
/// choice indices, after sleeping that long. The latency is synthetic but deterministic and varies with
/// the architecture, so a predictor trained on it has something to learn.
/// </summary>
/// <param name="CallLog">A folder where every process appends a line per architecture it is asked to measure
/// (<c>&lt;unix ms&gt; &lt;space&gt; &lt;digits&gt;</c>) to a file named after its process id, or null: how fault
/// scenarios count what was measured again.</param>
public sealed record SleepSettings(double Milliseconds, double MillisecondsPerChoice, string? CallLog)
{
    public double LatencyMs(Architecture architecture)
        => Milliseconds + MillisecondsPerChoice * Enumerable.Range(0, architecture.DecisionCount).Sum(d => architecture[d]);
}

/// <summary>
/// One device setting: a runtime on a provider with a thread count and optimization level, fed
/// a fixed batch at a fixed input resolution. Loaded from <c>devices/*.json</c> by <see cref="DeviceDescriptorReader"/>.
/// </summary>
public sealed record DeviceDescriptor
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    public required DeviceRuntime Runtime { get; init; }

    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>Intra-op threads. Default 1.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>ONNX Runtime graph optimization: disabled, basic, extended or all (default); TorchSharp: eager.</summary>
    public string Optimization { get; init; } = "all";

    /// <summary>Whether ONNX Runtime's idle intra-op threads spin. Default false (no spinning: fairer to the other core).</summary>
    public bool Spinning { get; init; }

    public int BatchSize { get; init; } = 1;

    /// <summary>The task the networks are built for: input shape (at the descriptor's resolution) and classes. Default cifar10.</summary>
    public Dataset Dataset { get; init; } = Dataset.Cifar10;

    /// <summary>GPU index for the CUDA provider. Default 0.</summary>
    public int DeviceIndex { get; init; }

    /// <summary>Overrides of the default measurement protocol, if the descriptor gives any.</summary>
    public MeasurementProtocol? Protocol { get; init; }

    public RemoteEndpoint? Remote { get; init; }

    /// <summary>The sleep's length, for runtime <see cref="DeviceRuntime.Sleep"/>.</summary>
    public SleepSettings? Sleep { get; init; }

    /// <summary>
    /// Whether the device computes on this machine (ONNX Runtime or TorchSharp in this process), so that two
    /// processes timing on it at once would disturb each other; a remote agent or the sleep device does not.
    /// </summary>
    public bool ComputesOnThisMachine => Runtime is DeviceRuntime.OnnxRuntime or DeviceRuntime.TorchSharp;

    /// <summary>Where the descriptor was read from (a path, or "embedded:NAME").</summary>
    public string Source { get; init; } = "(code)";

    /// <summary>What this device measures for one architecture: its input dataset and batch size.</summary>
    public ModelRequest RequestFor(SearchSpace space, Architecture architecture, int seed = 0)
        => new(space, architecture, Dataset, BatchSize, seed);

    public string Summary => Sleep is { } sleep
        ? $"sleep {sleep.Milliseconds:0.###} ms + {sleep.MillisecondsPerChoice:0.###} ms per choice (a load generator), batch {BatchSize}, {Dataset.Name} {Dataset.Input}"
        : $"{RuntimeName} {Provider.ToString().ToLowerInvariant()}, {Threads} thread{(Threads == 1 ? "" : "s")}, " +
                             $"optimization {Optimization}, batch {BatchSize}, {Dataset.Name} {Dataset.Input}";

    public string RuntimeName => Runtime switch
    {
        DeviceRuntime.OnnxRuntime => "onnxruntime",
        DeviceRuntime.TorchSharp => "torchsharp",
        DeviceRuntime.Remote => "remote",
        DeviceRuntime.Sleep => "sleep",
        _ => Runtime.ToString(),
    };
}
