using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Batch">The batch size a symbolic batch dimension is taken as.</param>
/// <param name="Optimization">ONNX Runtime's rewrites to follow; null: the device's level (its <c>all</c> is followed as <c>extended</c>).</param>
public sealed record ModelPredictionRequest(string Device, string ModelPath, StoreLocation Store, long Batch = 1, GraphOptimization? Optimization = null);

/// <summary>One kernel's share of a predicted model latency.</summary>
/// <param name="As">The kernel configuration it was predicted as (e.g. <c>conv 28x28 64->128 k3 s1 relu</c>).</param>
public sealed record PredictedKernel(string Operator, IReadOnlyList<string> Nodes, string As, double PredictedMs, double Share);

/// <summary>A model's predicted latency, kernel by kernel.</summary>
/// <param name="OverheadMs">The fixed cost of one run, counted once (each single-kernel measurement included it).</param>
public sealed record ModelPredictionResult(string Model, string Device, string Optimization, double PredictedMs, double OverheadMs, IReadOnlyList<PredictedKernel> Kernels);

/// <summary>
/// Predicts the latency of any ONNX model on a device from its kernels (nn-Meter's way): the kernels
/// ONNX Runtime runs (<see cref="CpuKernels"/>), each predicted by the device's predictor of its
/// kind from its configuration, added up. Every single-kernel measurement included one run's fixed
/// cost, which the model pays once: the tiniest elementwise kernel's prediction stands for it.
/// </summary>
public sealed class ModelPredictionUseCase
{
    /// <exception cref="InvalidInputException">An unreadable model, an unknown device, or a kernel kind the device has no predictor for.</exception>
    public ModelPredictionResult Run(ModelPredictionRequest request)
    {
        var model = OnnxModelGraph.Read(request.ModelPath, request.Batch);
        var level = request.Optimization ?? DeviceOptimization(request);
        return Predict(model, KernelEstimator.Load(request.Store, request.Device), level);
    }

    internal static ModelPredictionResult Predict(OnnxModelGraph model, KernelEstimator estimator, GraphOptimization level)
    {
        var kernels = CpuKernels.Detect(model, level);
        var configs = kernels.Select(k => KernelConfigs.Of(model, k)).ToList();
        double[] predicted = estimator.Predict(configs);
        double overhead = estimator.OverheadMs;
        var scaled = predicted.Select((p, i) => Math.Max(0, p - overhead) * Math.Max(1, kernels[i].OutputShape.FirstOrDefault(1))).ToArray();
        double total = overhead + scaled.Sum();
        var rows = kernels.Select((k, i) => new PredictedKernel(k.Operator + (k.Activation is null ? "" : "+" + k.Activation), k.Nodes.Select(n => n.Name).ToList(),
            KernelSpace.For(configs[i].Kind).Describe(configs[i]), scaled[i], scaled[i] / total)).ToList();
        return new ModelPredictionResult(model.Source, estimator.Device, level.ToString().ToLowerInvariant(), total, overhead, rows);
    }

    /// <summary>The device's optimization level as its store record says (a measured device's fingerprint); extended when unknown.</summary>
    private static GraphOptimization DeviceOptimization(ModelPredictionRequest request)
    {
        using var store = request.Store.OpenExisting();
        var device = store.Devices.Find(request.Device)
            ?? throw new InvalidInputException($"No device '{request.Device}' in {store.Path}; `latnas profile-kernels --device {request.Device}{request.Store.Suggestion}` measures one.");
        return Level(device.Fingerprint?.Optimization);
    }

    /// <summary>The rewrites followed for a device's optimization setting: its own, with <c>all</c> followed as <c>extended</c> (the NCHWc layout is not modelled).</summary>
    internal static GraphOptimization Level(string? optimization) => optimization switch
    {
        "disabled" => GraphOptimization.Disabled,
        "basic" => GraphOptimization.Basic,
        _ => GraphOptimization.Extended,
    };
}

/// <summary>A kernel of a model as one of the kernel spaces' configurations.</summary>
public static class KernelConfigs
{
    /// <summary>
    /// The configuration a kernel is predicted as: a convolution by its weights (a grouped one as a
    /// dense one of the same MACs), a pooling by its window, Gemm by its features; every other
    /// kernel as the elementwise pass over its output that costs most like it (Add, Mul, an
    /// activation, or a copy for data movement).
    /// </summary>
    public static KernelConfig Of(OnnxModelGraph model, Kernel kernel)
    {
        var node = kernel.Anchor;
        long[] input = kernel.InputShape, output = kernel.OutputShape;
        int Resolution(long[] shape) => shape.Length >= 4 ? (int)Math.Round(Math.Sqrt((double)shape[2] * shape[3])) : 1;
        int Channels(long[] shape) => shape.Length >= 2 ? (int)Math.Min(int.MaxValue, shape[1..].Aggregate(1L, (p, d) => p * d) / Math.Max(1L, shape.Length >= 4 ? shape[2] * shape[3] : 1)) : (int)shape.Aggregate(1L, (p, d) => p * d);
        switch (node.OpType)
        {
            case "Conv" when model.Shapes[node.Inputs[1]] is { Length: 4 } w:
            {
                int groups = (int)node.Int("group", 1);
                int stride = (int)(node.Ints("strides")?[0] ?? 1);
                int activation = kernel.Activation is null ? 0 : 1;
                bool depthwise = groups > 1 && w[1] == 1 && groups == w[0];
                return depthwise
                    ? new KernelConfig(KernelKind.DepthwiseConv, Resolution(input), (int)w[0], (int)w[0], (int)w[2], stride, activation)
                    : new KernelConfig(KernelKind.Conv, Resolution(input), (int)w[1], (int)w[0], (int)w[2], stride, activation);
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

/// <summary>A device's kernel predictors, one per kernel space, loaded once.</summary>
internal sealed class KernelEstimator
{
    private readonly Dictionary<KernelKind, MlNetPredictor> _predictors;

    private KernelEstimator(string device, Dictionary<KernelKind, MlNetPredictor> predictors)
    {
        (Device, _predictors) = (device, predictors);
        OverheadMs = Predict([new KernelConfig(KernelKind.Elementwise, 4, 8, 8, 1, 1, KernelSpace.Relu)])[0];
    }

    public string Device { get; }

    /// <summary>The predicted latency of the tiniest elementwise kernel: a run's fixed cost.</summary>
    public double OverheadMs { get; }

    /// <exception cref="InvalidInputException">A kernel space has no predictor for the device.</exception>
    public static KernelEstimator Load(StoreLocation store, string device)
    {
        var predictors = new Dictionary<KernelKind, MlNetPredictor>();
        foreach (var space in KernelSpace.All)
        {
            var saved = PredictorCatalog.TryLoad(store, device, space)
                ?? throw new InvalidInputException(
                    $"Device '{device}' has no {space.Name} predictor next to {store.Path}; run `latnas profile-kernels --device {device}{store.Suggestion}` first.");
            predictors[space.Kind] = saved.Predictor as MlNetPredictor
                ?? throw new InvalidInputException($"The {space.Name} predictor of '{device}' is not a tree model; train it again with `latnas profile-kernels`.");
        }
        return new KernelEstimator(device, predictors);
    }

    public double[] Predict(IReadOnlyList<KernelConfig> kernels)
    {
        var predictions = new double[kernels.Count];
        foreach (var group in kernels.Select((k, i) => (k, i)).GroupBy(p => p.k.Kind))
        {
            var predictor = _predictors[group.Key];
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
