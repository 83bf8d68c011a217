using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Workflows;

/// <param name="Batch">The batch size a symbolic batch dimension is taken as (null: 1); one that differs from the model's fixed batch is refused.</param>
/// <param name="Optimization">ONNX Runtime's rewrites to follow; null: the device's level.</param>
/// <param name="Measure">Also measure the model on the device (a descriptor of an ONNX Runtime device of this machine), with its protocol.</param>
public sealed record ModelPredictionRequest(string Device, string ModelPath, StoreLocation Store, long? Batch = null, GraphOptimization? Optimization = null, bool Measure = false)
{
    /// <summary>The model itself, when it comes as bytes (an upload) rather than a file: <see cref="ModelPath"/> then only names it.</summary>
    public byte[]? ModelBytes { get; init; }

    internal OnnxModelGraph ReadModel() => ModelBytes is null ? OnnxModelGraph.Read(ModelPath, Batch) : OnnxModelGraph.Read(ModelBytes, ModelPath, Batch);

    internal byte[] ReadModelBytes() => ModelBytes ?? File.ReadAllBytes(ModelPath);
}

/// <summary>One kernel's share of a predicted model latency.</summary>
/// <param name="Operator">The operator with what is fused into it (see <see cref="Kernel.Label"/>).</param>
/// <param name="As">The kernel configuration it was predicted as (e.g. <c>conv 28x28 64->128 k3 s1 relu</c>).</param>
public sealed record PredictedKernel(string Operator, IReadOnlyList<string> Nodes, string As, double PredictedMs, double Share);

/// <summary>A model's predicted latency, kernel by kernel.</summary>
/// <param name="Batch">The batch the model was predicted at (its fixed batch dimension, or the batch asked for a symbolic one).</param>
/// <param name="OverheadMs">The fixed cost of one run, counted once (each single-kernel measurement included it).</param>
/// <param name="MeasuredMs">The model's latency measured on the device, when asked for.</param>
public sealed record ModelPredictionResult(string Model, string Device, string Optimization, long Batch, double PredictedMs, double OverheadMs, IReadOnlyList<PredictedKernel> Kernels,
    double? MeasuredMs = null)
{
    /// <summary>The prediction's relative error against the measurement (predicted ÷ measured − 1).</summary>
    public double? Error => MeasuredMs is { } measured ? PredictedMs / measured - 1 : null;
}

/// <summary>
/// Predicts the latency of any ONNX model on a device from its kernels (nn-Meter's way): the kernels
/// ONNX Runtime runs (<see cref="CpuKernels"/>), each predicted by the device's predictor of its
/// kind from its configuration, added up. Every single-kernel measurement included one run's fixed
/// cost, which the model pays once: the tiniest elementwise kernel's prediction stands for it.
/// </summary>
public sealed class ModelPredictionUseCase
{
    /// <exception cref="InvalidInputException">An unreadable model, an unknown device, or a kernel kind the device has no predictor for.</exception>
    public ModelPredictionResult Run(ModelPredictionRequest request, CancellationToken cancellation = default)
    {
        var model = request.ReadModel();
        // To measure, the device is a descriptor (a shipped name or a JSON file); its name is the store's.
        var descriptor = request.Measure ? DeviceDescriptorReader.Resolve(request.Device) : null;
        string name = descriptor?.Name ?? request.Device;
        var (level, block) = DeviceLayout(request.Store, name);
        var result = Predict(model, KernelEstimator.Load(request.Store, name), request.Optimization ?? level, block);
        return descriptor is null ? result : result with { MeasuredMs = MeasureMs(descriptor, request, model.Batch, cancellation) };
    }

    /// <exception cref="InvalidInputException">The device is no ONNX Runtime device of this machine.</exception>
    /// <exception cref="Profiling.DeviceException">The model failed to run.</exception>
    private static double MeasureMs(DeviceDescriptor device, ModelPredictionRequest request, long batch, CancellationToken cancellation)
    {
        if (device.Runtime != DeviceRuntime.OnnxRuntime)
        {
            throw new InvalidInputException($"--measure runs the model with ONNX Runtime in this process; device '{device.Name}' runs on {device.RuntimeName}.");
        }
        var settings = OrtSettings.From(device) with { BatchSize = (int)batch };
        var measured = OrtTimedSession.MeasureBatch([request.ReadModelBytes()], settings, device.Protocol ?? MeasurementProtocol.Default,
            InterleavedEngine.ForThisMachine(), seed: 0, cancellation)[0];
        return measured.Measurement?.Statistics.LatencyMs
            ?? throw new Profiling.DeviceException($"{request.ModelPath} could not be measured on {device.Name}: {measured.Failure}", isTransient: false);
    }

    internal static ModelPredictionResult Predict(OnnxModelGraph model, KernelEstimator estimator, GraphOptimization level, int nchwcBlockSize)
    {
        var kernels = CpuKernels.Detect(model, level, nchwcBlockSize);
        var parts = kernels.SelectMany((k, i) => KernelConfigs.Parts(model, k, nchwcBlockSize).Select(config => (Kernel: i, Config: config))).ToList();
        double[] predicted = estimator.Predict(parts.Select(p => p.Config).ToList());
        double overhead = estimator.OverheadMs;
        var scaled = new double[kernels.Count];
        foreach (var ((kernel, _), p) in parts.Zip(predicted))
        {
            scaled[kernel] += Math.Max(0, p - overhead) * Math.Max(1, kernels[kernel].OutputShape.FirstOrDefault(1));
        }
        double total = overhead + scaled.Sum();
        var rows = kernels.Select((k, i) =>
        {
            var config = parts.First(p => p.Kernel == i).Config;
            int groups = KernelConfigs.Groups(model, k);
            return new PredictedKernel(k.Label, k.Nodes.Select(n => n.Name).ToList(),
                KernelSpace.For(config.Kind).Describe(config) + (groups > 1 ? $", each of {groups} groups" : ""), scaled[i], scaled[i] / total);
        }).ToList();
        return new ModelPredictionResult(model.Source, estimator.Device, level.ToString().ToLowerInvariant(), model.Batch, total, overhead, rows);
    }

    /// <summary>
    /// The device's optimization level as its store record says (a measured device's fingerprint;
    /// extended when unknown), and the channel block its kernels run in: this machine's for an ONNX
    /// Runtime CPU device at <c>all</c>, else none.
    /// </summary>
    private static (GraphOptimization Level, int NchwcBlockSize) DeviceLayout(StoreLocation location, string name)
    {
        using var store = location.OpenExisting();
        var device = store.Devices.Find(name)
            ?? throw new InvalidInputException($"No device '{name}' in {store.Location}; `latnas profile-kernels --device {name}{location.Suggestion}` measures one.");
        return Layout(device.Fingerprint);
    }

    internal static (GraphOptimization Level, int NchwcBlockSize) Layout(Profiling.Devices.DeviceFingerprint? fingerprint)
    {
        var level = Level(fingerprint?.Optimization);
        return (level, fingerprint is null ? 1 : Runners.ModelSource.NchwcBlockSize(fingerprint.Runtime, fingerprint.Provider, fingerprint.Optimization));
    }

    /// <summary>ONNX Runtime's level for a device's optimization setting; extended when unknown.</summary>
    internal static GraphOptimization Level(string? optimization) => optimization switch
    {
        "disabled" => GraphOptimization.Disabled,
        "basic" => GraphOptimization.Basic,
        "all" => GraphOptimization.All,
        _ => GraphOptimization.Extended,
    };
}

/// <summary>A kernel of a model as one of the kernel spaces' configurations.</summary>
public static class KernelConfigs
{
    /// <summary>
    /// The configurations a kernel is predicted as, added up: its own (<see cref="Of"/>) — a grouped convolution's once per
    /// group, as ONNX Runtime runs it (a convolution per group, each group's channels in and out) —, and for a
    /// convolution that accumulates (an Add fused into it) one elementwise pass over its output for
    /// the value it adds in. Values in channel blocks count their padded channels.
    /// </summary>
    public static IReadOnlyList<KernelConfig> Parts(OnnxModelGraph model, Kernel kernel, int nchwcBlockSize)
    {
        var config = Of(model, kernel);
        if (config.Kind == KernelKind.Conv && Groups(model, kernel) is > 1 and var groups)
        {
            return [.. Enumerable.Repeat(config, groups), .. AccumulatedPass(kernel)];
        }
        if (kernel.Blocked && config.Kind == KernelKind.Elementwise && config.Variant is not (KernelSpace.ReorderInput or KernelSpace.ReorderOutput) && nchwcBlockSize > 1)
        {
            int padded = (config.InputChannels + nchwcBlockSize - 1) / nchwcBlockSize * nchwcBlockSize;
            config = config with { InputChannels = padded, OutputChannels = padded };
        }
        return [config, .. AccumulatedPass(kernel)];
    }

    /// <summary>For a convolution that accumulates an Add, the elementwise pass over its output the added value costs.</summary>
    private static IEnumerable<KernelConfig> AccumulatedPass(Kernel kernel)
    {
        if (kernel.Accumulates && kernel.OutputShape is [_, var channels, var height, var width])
        {
            yield return new KernelConfig(KernelKind.Elementwise, (int)Math.Round(Math.Sqrt((double)height * width)), (int)channels, (int)channels, 1, 1, KernelSpace.Relu);
        }
    }

    /// <summary>The groups of a convolution that is neither dense nor depthwise (1 for any other kernel).</summary>
    public static int Groups(OnnxModelGraph model, Kernel kernel)
        => kernel.Anchor is { OpType: "Conv" } node && model.Shapes[node.Inputs[1]] is { Length: 4 } w && (int)node.Int("group", 1) is > 1 and var groups
           && !IsDepthwise(w, groups) ? groups : 1;

    /// <summary>Whether a convolution of weights <paramref name="w"/> (out, in per group, kh, kw) in <paramref name="groups"/> groups is depthwise: a group per channel.</summary>
    private static bool IsDepthwise(long[] w, int groups) => groups > 1 && w[1] == 1 && groups == w[0];

    /// <summary>
    /// The configuration a kernel is predicted as: a convolution by its weights (a grouped one as one
    /// of its groups: the group's channels in and out), a pooling by its window, Gemm by its features; every other
    /// kernel as the elementwise pass over its output that costs most like it (Add, Mul, an
    /// activation, or a copy for data movement).
    /// </summary>
    public static KernelConfig Of(OnnxModelGraph model, Kernel kernel)
    {
        var node = kernel.Anchor;
        long[] input = kernel.InputShape, output = kernel.OutputShape;
        int Resolution(long[] shape) => shape.Length >= 4 ? (int)Math.Round(Math.Sqrt((double)shape[2] * shape[3])) : 1;
        int Channels(long[] shape) => shape.Length >= 2 ? (int)Math.Min(int.MaxValue, shape[1..].Aggregate(1L, (p, d) => p * d) / Math.Max(1L, shape.Length >= 4 ? shape[2] * shape[3] : 1)) : (int)shape.Aggregate(1L, (p, d) => p * d);
        if (kernel.Operator is NchwcLayout.ReorderInput or NchwcLayout.ReorderOutput)
        {
            // A reorder (anchored on the node that reads or writes its value)'s shapes are its value's, plain.
            int c = Channels(input);
            return new KernelConfig(KernelKind.Elementwise, Resolution(input), c, c, 1, 1,
                kernel.Operator == NchwcLayout.ReorderInput ? KernelSpace.ReorderInput : KernelSpace.ReorderOutput);
        }
        switch (node.OpType)
        {
            case "Conv" when model.Shapes[node.Inputs[1]] is { Length: 4 } w:
            {
                int groups = (int)node.Int("group", 1);
                int stride = (int)(node.Ints("strides")?[0] ?? 1);
                int activation = kernel.Activation is null ? 0 : 1;
                return IsDepthwise(w, groups)
                    ? new KernelConfig(KernelKind.DepthwiseConv, Resolution(input), (int)w[0], (int)w[0], (int)w[2], stride, activation)
                    : new KernelConfig(KernelKind.Conv, Resolution(input), (int)w[1], (int)w[0] / groups, (int)w[2], stride, activation);
            }
            case "Gemm" or "MatMul" when input.Length == 2:
                return new KernelConfig(KernelKind.Gemm, 1, (int)input[1], (int)output[^1], 1, 1, 0);
            case "GlobalAveragePool" or "GlobalMaxPool":
                return KernelSpace.PoolConfig(Resolution(input), Channels(input), KernelSpace.GlobalPool);
            case "AveragePool" or "MaxPool":
            {
                int window = (int)(node.Ints("kernel_shape")?[0] ?? 3), stride = (int)(node.Ints("strides")?[0] ?? 1);
                int operation = node.OpType == "AveragePool" ? (stride == 1 ? KernelSpace.AveragePool3 : KernelSpace.AveragePool3Stride2)
                    : window == 2 ? KernelSpace.MaxPool2Stride2 : KernelSpace.MaxPool3Stride2;
                return KernelSpace.PoolConfig(Resolution(input), Channels(input), operation) with { Kernel = window, Stride = stride };
            }
        }
        int variant = node.OpType switch
        {
            "Add" or "Sum" or "Sub" => KernelSpace.Add,
            "Mul" or "Div" or "BatchNormalization" or "PRelu" => KernelSpace.Mul,
            "Relu" or "Clip" or "LeakyRelu" or "HardSigmoid" or "HardSwish" or "Tanh" or "Elu" or "Selu" or "Neg" or "Sqrt" or "Reciprocal" => KernelSpace.Relu,
            "Sigmoid" or "Exp" or "Erf" or "Softplus" or "Softmax" or "LogSoftmax" => KernelSpace.Sigmoid,
            _ => KernelSpace.Copy,
        };
        // QuickGelu (x · sigmoid(x)) reads its input once and computes a sigmoid on it.
        if (kernel.Operator.EndsWith("QuickGelu", StringComparison.Ordinal))
        {
            variant = KernelSpace.Sigmoid;
        }
        long[] shape = output.Length > 0 ? output : input;
        int channels = Channels(shape);
        return new KernelConfig(KernelKind.Elementwise, Resolution(shape), channels, channels, 1, 1, variant);
    }
}

/// <summary>
/// A device's kernel predictors, one per kernel space, each loaded once when a kernel of its kind is first predicted: a
/// device whose sample left a kind without a predictor (too few of them measured) still predicts models without that kind.
/// </summary>
internal sealed class KernelEstimator
{
    private readonly StoreLocation _store;
    private readonly Dictionary<KernelKind, MlNetPredictor> _predictors = [];

    private KernelEstimator(StoreLocation store, string device)
    {
        (_store, Device) = (store, device);
        OverheadMs = Predict([new KernelConfig(KernelKind.Elementwise, 4, 8, 8, 1, 1, KernelSpace.Relu)])[0];
    }

    public string Device { get; }

    /// <summary>The predicted latency of the tiniest elementwise kernel: a run's fixed cost.</summary>
    public double OverheadMs { get; }

    /// <exception cref="InvalidInputException">The device has no elementwise predictor (the run's fixed cost comes from it).</exception>
    public static KernelEstimator Load(StoreLocation store, string device) => new(store, device);

    /// <exception cref="InvalidInputException">A kernel space has no predictor for the device.</exception>
    private MlNetPredictor PredictorOf(KernelKind kind)
    {
        if (!_predictors.TryGetValue(kind, out var predictor))
        {
            var space = KernelSpace.For(kind);
            var saved = PredictorCatalog.TryLoad(_store, Device, space)
                ?? throw new InvalidInputException(
                    $"Device '{Device}' has no {space.Name} predictor next to {_store.Location}; run `latnas profile-kernels --device {Device}{_store.Suggestion}` first.");
            predictor = _predictors[kind] = saved.Predictor as MlNetPredictor
                ?? throw new InvalidInputException($"The {space.Name} predictor of '{Device}' is not a tree model; train it again with `latnas profile-kernels`.");
        }
        return predictor;
    }

    public double[] Predict(IReadOnlyList<KernelConfig> kernels)
    {
        var predictions = new double[kernels.Count];
        foreach (var group in kernels.Select((k, i) => (k, i)).GroupBy(p => p.k.Kind))
        {
            var predictor = PredictorOf(group.Key);
            var rows = group.Select(p => predictor.Encoder.Full(KernelSpace.Features(p.k))).ToList();
            double[] values = predictor.PredictFeatures(rows);
            foreach (var ((_, index), value) in group.Zip(values))
            {
                predictions[index] = value;
            }
        }
        return predictions;
    }
}
