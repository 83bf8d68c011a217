using LatencyNas.Core.Measurements;
using System.Diagnostics;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Timing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatencyNas.Profiling.Runners;

/// <summary>ONNX Runtime settings a measurement needs; taken from a device descriptor, or sent to an agent.</summary>
public sealed record OrtSettings(ExecutionProvider Provider, int Threads, string Optimization, bool Spinning, int BatchSize, int DeviceIndex = 0)
{
    /// <summary>The graph optimization levels, as a descriptor and the agent contract name them.</summary>
    public static IReadOnlyList<string> Optimizations { get; } = ["disabled", "basic", "extended", "all"];

    public static OrtSettings From(DeviceDescriptor device)
        => new(device.Provider, device.Threads, device.Optimization, device.Spinning, device.BatchSize, device.DeviceIndex);

    /// <summary>Why <see cref="Optimization"/> is not a level ONNX Runtime knows, or null.</summary>
    public string? OptimizationProblem()
        => Optimizations.Contains(Optimization) ? null : $"optimization '{Optimization}' is not one of {string.Join("|", Optimizations)}";
}

/// <summary>
/// An ONNX Runtime session ready to be timed: created (and its creation timed) apart from the
/// runs, with inputs and outputs allocated once, so a timed run is a monotonic clock around
/// <c>Run</c> and nothing else. Shared by the local runner, the edge agent and the harness benchmark.
/// </summary>
public sealed class OrtTimedSession : ITimedModel
{
    public const string CudaProvider = "CUDAExecutionProvider";

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly OrtValue[] _inputs;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _outputs;
    private readonly RunOptions _runOptions = new();

    /// <summary>The most elements an input may have by default: 64 MiB of floats.</summary>
    public const long DefaultMaxInputElements = 16L * 1024 * 1024;

    private OrtTimedSession(InferenceSession session, int batchSize, double creationMs, long maxInputElements)
    {
        _session = session;
        SessionCreationMs = creationMs;
        _inputNames = session.InputNames.ToArray();
        _outputNames = session.OutputNames.ToArray();
        _inputs = [];
        _outputs = [];
        try
        {
            _inputs = _inputNames.Select(name => CreateInput(name, session.InputMetadata[name], batchSize, maxInputElements)).ToArray();
            // One untimed run learns the output shapes; the outputs are then allocated once.
            using var discovered = session.Run(_runOptions, _inputNames, _inputs, _outputNames);
            _outputs = discovered.Select(value =>
            {
                var info = value.GetTensorTypeAndShape();
                if (info.ElementDataType != TensorElementType.Float)
                {
                    throw new DeviceException($"Output of type {info.ElementDataType}: only float outputs can be measured.", isTransient: false);
                }
                return OrtValue.CreateTensorValueFromMemory(new float[info.ElementCount], info.Shape);
            }).ToArray();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static string Version => OrtEnv.Instance().GetVersionString();

    public static IReadOnlyList<string> AvailableProviders => OrtEnv.Instance().GetAvailableProviders();

    public double SessionCreationMs { get; }

    /// <exception cref="DeviceUnavailableException">The provider is not in this build of ONNX Runtime.</exception>
    public static void EnsureAvailable(ExecutionProvider provider)
    {
        if (provider == ExecutionProvider.Cuda && !AvailableProviders.Contains(CudaProvider))
        {
            throw new DeviceUnavailableException(
                "CUDA was requested but this build of ONNX Runtime has only " + string.Join(", ", AvailableProviders) +
                ". Install the GPU package: build with -p:Accelerator=cuda (references Microsoft.ML.OnnxRuntime.Gpu) on a machine with CUDA 12 and cuDNN 9.");
        }
    }

    /// <summary>
    /// <paramref name="count"/> sessions of one model, each on memory of its own. On the CPU with graph optimizations on, the first
    /// writes the graph ONNX Runtime made of the model, and the others load that graph with optimizations off: the same kernels, made
    /// without optimizing the graph again (NB201, 30 architectures: 2.9–5.7 ms a session instead of 12.9–13.1; timed in alternation,
    /// their runs took 0.994× the first session's, median, where a second session made the usual way took 0.995×).
    /// </summary>
    /// <exception cref="DeviceException">The runtime rejects the model or cannot run it once, or an input is too large (not transient).</exception>
    public static IReadOnlyList<OrtTimedSession> CreateInstances(byte[] model, OrtSettings settings, int count, long maxInputElements = DefaultMaxInputElements)
    {
        var sessions = new List<OrtTimedSession>(count);
        bool reuseGraph = count > 1 && settings.Provider == ExecutionProvider.Cpu && settings.Optimization != "disabled";
        string? optimizedPath = reuseGraph ? Path.Combine(Path.GetTempPath(), $"latnas-optimized-{Guid.NewGuid():N}.onnx") : null;
        try
        {
            sessions.Add(optimizedPath is null ? Create(model, settings, maxInputElements) : CreateWritingGraph(model, settings, maxInputElements, optimizedPath));
            var (rest, restSettings) = optimizedPath is not null && File.Exists(optimizedPath)
                ? (File.ReadAllBytes(optimizedPath), settings with { Optimization = "disabled" })
                : (model, settings);
            while (sessions.Count < count)
            {
                sessions.Add(Create(rest, restSettings, maxInputElements));
            }
            return sessions;
        }
        catch
        {
            sessions.ForEach(s => s.Dispose());
            throw;
        }
        finally
        {
            if (optimizedPath is not null)
            {
                File.Delete(optimizedPath);
            }
        }
    }

    /// <summary>A session that also writes its optimized graph to <paramref name="path"/>; made the usual way when that fails (a temporary directory that cannot be written).</summary>
    private static OrtTimedSession CreateWritingGraph(byte[] model, OrtSettings settings, long maxInputElements, string path)
    {
        try
        {
            return Create(model, settings, maxInputElements, path);
        }
        catch (DeviceException)
        {
            File.Delete(path); // whatever was written of it is not a graph to load
            return Create(model, settings, maxInputElements);
        }
    }

    /// <param name="maxInputElements">An input with more elements is refused before anything is allocated.</param>
    /// <param name="optimizedModelPath">Where ONNX Runtime writes the graph it optimized (null: nowhere).</param>
    /// <exception cref="DeviceException">The runtime rejects the model or cannot run it once, or an input is too large (not transient).</exception>
    public static OrtTimedSession Create(byte[] model, OrtSettings settings, long maxInputElements = DefaultMaxInputElements, string? optimizedModelPath = null)
    {
        EnsureAvailable(settings.Provider);
        long start = Stopwatch.GetTimestamp();
        using var options = CreateSessionOptions(settings);
        if (optimizedModelPath is not null)
        {
            options.OptimizedModelFilePath = optimizedModelPath;
        }
        InferenceSession session;
        try
        {
            session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException error)
        {
            throw new DeviceException($"ONNX Runtime rejected the model: {FirstLine(error.Message)}", isTransient: false, error);
        }
        double creationMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        try
        {
            return new OrtTimedSession(session, settings.BatchSize, creationMs, maxInputElements);
        }
        catch (OnnxRuntimeException error)
        {
            throw new DeviceException($"ONNX Runtime failed to run the model: {FirstLine(error.Message)}", isTransient: false, error);
        }
    }

    /// <summary>One run on the pre-allocated inputs and outputs, not timed.</summary>
    public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    /// <summary>One run, timed with a monotonic clock around <c>Run</c> only.</summary>
    public double TimeOneRunMs()
    {
        long before = Stopwatch.GetTimestamp();
        _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
        return Stopwatch.GetElapsedTime(before).TotalMilliseconds;
    }

    /// <summary>A copy of the first output of the last run (on the session's fixed seeded input).</summary>
    public float[] FirstOutput() => _outputs[0].GetTensorDataAsSpan<float>().ToArray();

    /// <summary>Cancellation also stops a run in flight (RunOptions.Terminate).</summary>
    public IDisposable StopRunsOn(CancellationToken cancellation) => cancellation.Register(() => _runOptions.Terminate = true);

    /// <summary>Times one burst with <see cref="MeasurementEngine"/> (the harness benchmark compares it with a bare loop).</summary>
    public Measurement MeasureBurst(MeasurementProtocol protocol, CancellationToken cancellation)
    {
        using var terminate = StopRunsOn(cancellation);
        return Translated(() => new Measurement(MeasurementEngine.Measure(TimeOneRunMs, protocol, cancellation), SessionCreationMs), cancellation);
    }

    /// <summary>Measures ONNX models as a batch (see <see cref="BatchMeasurement"/>), turning the runtime's failures into device errors.</summary>
    public static IReadOnlyList<MeasuredModel> MeasureBatch(IReadOnlyList<byte[]> batch, OrtSettings settings, MeasurementProtocol protocol, InterleavedEngine engine,
        int seed, CancellationToken cancellation, long maxInputElements = DefaultMaxInputElements)
        => MeasureBatch(batch, model => Create(model, settings, maxInputElements), protocol, engine, seed, cancellation);

    /// <summary>Measures models whose sessions <paramref name="load"/> gives (the caller's to dispose thereafter), as a batch.</summary>
    public static IReadOnlyList<MeasuredModel> MeasureBatch<T>(IReadOnlyList<T> batch, Func<T, ITimedModel> load, MeasurementProtocol protocol, InterleavedEngine engine,
        int seed, CancellationToken cancellation)
        => Translated(() => BatchMeasurement.Measure(batch, load, protocol, engine, seed, cancellation), cancellation);

    private static T Translated<T>(Func<T> work, CancellationToken cancellation)
    {
        try
        {
            return work();
        }
        catch (OnnxRuntimeException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellation);
        }
        catch (OnnxRuntimeException error)
        {
            throw new DeviceException($"ONNX Runtime failed to run the model: {FirstLine(error.Message)}", isTransient: false, error);
        }
    }

    /// <exception cref="Core.InvalidInputException">The optimization level is not one ONNX Runtime knows.</exception>
    public static SessionOptions CreateSessionOptions(OrtSettings settings)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = settings.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // An unknown level is refused, never measured as another: a measurement stored under 'bogus' would be one at 'all'.
            GraphOptimizationLevel = settings.Optimization switch
            {
                "disabled" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                "all" => GraphOptimizationLevel.ORT_ENABLE_ALL,
                _ => throw new Core.InvalidInputException($"ONNX Runtime {settings.OptimizationProblem()}."),
            },
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", settings.Spinning ? "1" : "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", settings.Spinning ? "1" : "0");
        if (settings.Provider == ExecutionProvider.Cuda)
        {
            options.AppendExecutionProvider_CUDA(settings.DeviceIndex);
        }
        return options;
    }

    public void Dispose()
    {
        foreach (var value in _inputs)
        {
            value?.Dispose();
        }
        foreach (var value in _outputs)
        {
            value?.Dispose();
        }
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static OrtValue CreateInput(string name, NodeMetadata metadata, int batchSize, long maxElements)
    {
        if (metadata.ElementType != typeof(float))
        {
            throw new DeviceException($"Input '{name}' is {metadata.ElementType.Name}; only float inputs can be measured.", isTransient: false);
        }
        long[] shape = metadata.Dimensions.Select((d, axis) => d > 0 ? d : axis == 0 ? batchSize : -1L).ToArray();
        if (shape.Any(d => d < 1))
        {
            throw new DeviceException($"Input '{name}' has a dynamic dimension other than the batch: [{string.Join(", ", metadata.Dimensions)}].", isTransient: false);
        }
        long count = 1;
        foreach (long dimension in shape)
        {
            // Both factors within the limit cannot overflow a long; past it, the count only needs to stay past it.
            count = count > maxElements || dimension > maxElements ? maxElements + 1 : count * dimension;
        }
        if (count > maxElements)
        {
            throw new DeviceException(
                $"Input '{name}' of shape [{string.Join("×", shape)}] has more than {maxElements:N0} elements, the most this runner allocates.", isTransient: false);
        }
        var random = new Random(12345);
        float[] data;
        try
        {
            data = new float[count];
        }
        catch (OutOfMemoryException)
        {
            throw new DeviceException($"Input '{name}' of shape [{string.Join("×", shape)}] does not fit in memory.", isTransient: false);
        }
        for (long i = 0; i < count; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return OrtValue.CreateTensorValueFromMemory(data, shape);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
