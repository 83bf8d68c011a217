namespace LatencyNas.Core.Spaces.Kernels;

/// <summary>The kinds of kernel a CNN's latency is made of, each profiled and predicted on its own.</summary>
public enum KernelKind
{
    /// <summary>A dense convolution (one group), with its BatchNorm folded and optionally an activation fused.</summary>
    Conv,

    /// <summary>A depthwise convolution (one group per channel).</summary>
    DepthwiseConv,

    /// <summary>An elementwise pass over a [1, C, H, W] tensor: Add, Add then Relu, Relu, Mul, Sigmoid, a copy (Reshape, Concat, ...), or a reorder into or out of channel blocks.</summary>
    Elementwise,

    /// <summary>Pooling: windowed average or max, or global average.</summary>
    Pool,

    /// <summary>A fully connected layer (Gemm).</summary>
    Gemm,
}

/// <summary>
/// One kernel's configuration: the shape of what it reads and how it computes, in numbers a
/// regressor can take for any kernel — on the sampled grid of a <see cref="KernelSpace"/> or not.
/// </summary>
/// <param name="Resolution">Input height and width (square; for Gemm 1).</param>
/// <param name="InputChannels">Channels in (Gemm: input features).</param>
/// <param name="OutputChannels">Channels out (Gemm: output features).</param>
/// <param name="Kernel">Window size (1 for elementwise and Gemm; the input size for global pooling).</param>
/// <param name="Variant">Kind-specific: activation for convolutions (0 none, 1 fused), the operation for elementwise and pooling kernels.</param>
public sealed record KernelConfig(KernelKind Kind, int Resolution, int InputChannels, int OutputChannels, int Kernel, int Stride, int Variant)
{
    public int OutputResolution => Kind is KernelKind.Gemm ? 1
        : Kind is KernelKind.Pool && Variant == KernelSpace.GlobalPool ? 1
        : (Resolution + Stride - 1) / Stride;

    /// <summary>Multiply-accumulates (convolutions, Gemm), else one operation per output (or input, for pooling windows) element.</summary>
    public long Macs => Kind switch
    {
        KernelKind.Conv => (long)OutputResolution * OutputResolution * OutputChannels * InputChannels * Kernel * Kernel,
        KernelKind.DepthwiseConv => (long)OutputResolution * OutputResolution * OutputChannels * Kernel * Kernel,
        KernelKind.Gemm => (long)InputChannels * OutputChannels,
        KernelKind.Pool => (long)OutputResolution * OutputResolution * OutputChannels * Kernel * Kernel,
        _ => (long)Resolution * Resolution * OutputChannels,
    };

    public long Weights => Kind switch
    {
        KernelKind.Conv => (long)OutputChannels * InputChannels * Kernel * Kernel + OutputChannels,
        KernelKind.DepthwiseConv => (long)OutputChannels * Kernel * Kernel + OutputChannels,
        KernelKind.Gemm => (long)InputChannels * OutputChannels + OutputChannels,
        _ => 0,
    };

    public long InputElements => (long)Resolution * Resolution * InputChannels * (Kind == KernelKind.Elementwise && Variant is KernelSpace.Add or KernelSpace.AddRelu or KernelSpace.Mul ? 2 : 1);

    public long OutputElements => (long)OutputResolution * OutputResolution * OutputChannels;

    /// <summary>The numbers a kernel regressor takes, by name, in a fixed order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Numbers =>
    [
        new("resolution", Resolution), new("in_channels", InputChannels), new("out_channels", OutputChannels), new("kernel", Kernel),
        new("stride", Stride), new("variant", Variant), new("out_resolution", OutputResolution),
        new("log_macs", Math.Log(Macs + 1)), new("in_mb", InputElements * 4 / 1e6), new("out_mb", OutputElements * 4 / 1e6), new("weight_mb", Weights * 4 / 1e6),
    ];
}

/// <summary>
/// The sampled configurations of one <see cref="KernelKind"/>, as a search space, so that kernels
/// are profiled, stored, resumed and trained on like architectures. Channels scale with the
/// resolution as they do in CNNs (a width multiplier of <see cref="BaseChannels"/>), so the grid
/// covers what real networks hold without spending hours on kernels none has.
/// </summary>
public sealed class KernelSpace : SearchSpace
{
    public const int Add = 0, AddRelu = 1, Relu = 2, Mul = 3, Sigmoid = 4, Copy = 5, ReorderInput = 6, ReorderOutput = 7;
    public const int AveragePool3 = 0, AveragePool3Stride2 = 1, MaxPool3Stride2 = 2, MaxPool2Stride2 = 3, GlobalPool = 4;

    /// <summary>The elementwise operations; the reorders into and out of channel blocks are ONNX Runtime's NCHWc layout changes.</summary>
    public static readonly IReadOnlyList<string> ElementwiseOperations = ["add", "add_relu", "relu", "mul", "sigmoid", "copy", "reorder_in", "reorder_out"];
    public static readonly IReadOnlyList<string> PoolOperations = ["avg3", "avg3_s2", "max3_s2", "max2_s2", "global_avg"];

    /// <summary>
    /// Input sizes: those of CIFAR and ImageNet-224 networks first, then (appended, so that stored
    /// kernels keep their digits) those of 160-pixel inputs and the full input sizes of stems.
    /// </summary>
    private static readonly int[] Resolutions = [4, 7, 8, 14, 16, 28, 32, 56, 112, 5, 10, 20, 40, 80, 160, 224];
    private static readonly double[] InputWidths = [0.125, 0.25, 0.5, 0.75, 1, 1.5, 2, 4];
    private static readonly double[] OutputWidths = [0.125, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 6];
    private static readonly double[] Widths = [0.125, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 6];
    private static readonly int[] ConvKernels = [1, 3, 5, 7];
    private static readonly int[] DepthwiseKernels = [3, 5, 7];
    private static readonly int[] GemmInputs = [64, 128, 256, 512, 768, 1024, 1280, 2048, 4096];
    private static readonly int[] GemmOutputs = [10, 100, 128, 256, 512, 1000, 1024, 4096];

    public static KernelSpace Conv { get; } = new(KernelKind.Conv, "kernel-conv",
    [
        new("resolution", Resolutions.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
        new("in_channels", ["3", .. InputWidths.Select(w => $"x{w}")]),
        new("out_channels", OutputWidths.Select(w => $"x{w}").ToArray()),
        new("kernel", ["1", "3", "5", "7"]),
        new("stride", ["1", "2"]),
        new("activation", ["none", "relu"]),
    ]);

    public static KernelSpace DepthwiseConv { get; } = new(KernelKind.DepthwiseConv, "kernel-dwconv",
    [
        new("resolution", Resolutions.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
        new("channels", Widths.Select(w => $"x{w}").ToArray()),
        new("kernel", ["3", "5", "7"]),
        new("stride", ["1", "2"]),
        new("activation", ["none", "relu"]),
    ]);

    public static KernelSpace Elementwise { get; } = new(KernelKind.Elementwise, "kernel-elementwise",
    [
        new("resolution", Resolutions.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
        new("channels", Widths.Select(w => $"x{w}").ToArray()),
        new("operation", [.. ElementwiseOperations]),
    ]);

    public static KernelSpace Pool { get; } = new(KernelKind.Pool, "kernel-pool",
    [
        new("resolution", Resolutions.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
        new("channels", Widths.Select(w => $"x{w}").ToArray()),
        new("operation", [.. PoolOperations]),
    ]);

    public static KernelSpace Gemm { get; } = new(KernelKind.Gemm, "kernel-gemm",
    [
        new("in_features", GemmInputs.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
        new("out_features", GemmOutputs.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
    ]);

    public static IReadOnlyList<KernelSpace> All { get; } = [Conv, DepthwiseConv, Elementwise, Pool, Gemm];

    public static KernelSpace For(KernelKind kind) => All.Single(s => s.Kind == kind);

    private KernelSpace(KernelKind kind, string name, IReadOnlyList<Decision> decisions)
    {
        (Kind, Name, Decisions) = (kind, name, decisions);
        _grid = new(() =>
        {
            var members = Enumerate().ToArray();
            var configs = members.Select(Config).ToArray();
            return (members, configs.Select(c => c.Variant).ToArray(), configs.Select(Logs).ToArray());
        });
    }

    public KernelKind Kind { get; }

    public override string Name { get; }

    public override IReadOnlyList<Decision> Decisions { get; }

    /// <summary>Kernels do not depend on a dataset; every dataset is accepted so that any device can profile them.</summary>
    public override IReadOnlyList<Dataset> Datasets => Dataset.All;

    /// <summary>Kernel regressors take the configuration's numbers, not the grid's choices, so that any kernel can be predicted.</summary>
    public override bool EncodesChoices => false;

    /// <summary>Channels at width multiplier 1 for an input of <paramref name="resolution"/>: ~3,584 / resolution (112 → 32, 7 → 512), a multiple of 8.</summary>
    public static int BaseChannels(int resolution) => Math.Max(8, (int)Math.Round(3584.0 / resolution / 8) * 8);

    private static int Channels(int resolution, double width) => Math.Max(8, (int)Math.Round(BaseChannels(resolution) * width / 8) * 8);

    public KernelConfig Config(Architecture architecture)
    {
        int resolution = Kind == KernelKind.Gemm ? 1 : Resolutions[architecture[0]];
        return Kind switch
        {
            KernelKind.Conv => ConvConfig(resolution, architecture[1] == 0 ? 3 : Channels(resolution, InputWidths[architecture[1] - 1]),
                Channels(resolution, OutputWidths[architecture[2]]), ConvKernels[architecture[3]], architecture[4] + 1, architecture[5]),
            KernelKind.DepthwiseConv => new KernelConfig(Kind, resolution, Channels(resolution, Widths[architecture[1]]), Channels(resolution, Widths[architecture[1]]),
                DepthwiseKernels[architecture[2]], architecture[3] + 1, architecture[4]),
            KernelKind.Elementwise => new KernelConfig(Kind, resolution, Channels(resolution, Widths[architecture[1]]), Channels(resolution, Widths[architecture[1]]), 1, 1, architecture[2]),
            KernelKind.Pool => PoolConfig(resolution, Channels(resolution, Widths[architecture[1]]), architecture[2]),
            _ => new KernelConfig(Kind, 1, GemmInputs[architecture[0]], GemmOutputs[architecture[1]], 1, 1, 0),
        };
    }

    /// <summary>
    /// The member whose configuration is nearest a kernel's, for a kernel of this space's kind: the
    /// same variant (activation, operation) first, then the closest sizes, channels, window and
    /// stride on a log scale — where a real model's kernel sits on the grid.
    /// </summary>
    public Architecture Nearest(KernelConfig config)
    {
        var grid = _grid.Value;
        double[] target = Logs(config);
        int best = 0;
        double bestDistance = double.MaxValue;
        for (int i = 0; i < grid.Members.Length; i++)
        {
            double distance = grid.Variants[i] == config.Variant ? 0 : 100;
            for (int j = 0; j < target.Length && distance < bestDistance; j++)
            {
                double apart = grid.Logs[i][j] - target[j];
                distance += apart * apart;
            }
            if (distance < bestDistance)
            {
                (best, bestDistance) = (i, distance);
            }
        }
        return grid.Members[best];
    }

    private static double[] Logs(KernelConfig c)
        => [Math.Log(Math.Max(c.Resolution, 1)), Math.Log(Math.Max(c.InputChannels, 1)), Math.Log(Math.Max(c.OutputChannels, 1)), Math.Log(Math.Max(c.Kernel, 1)), Math.Log(Math.Max(c.Stride, 1))];

    /// <summary>Every member with its variant and the logs of its numbers, computed once.</summary>
    private readonly Lazy<(Architecture[] Members, int[] Variants, double[][] Logs)> _grid;

    /// <summary>The most weights a sampled convolution holds (64 MB of floats): wider ones, with large kernels on small inputs, are in no CNN and take seconds to measure.</summary>
    public const long MaxConvWeights = 16L * 1024 * 1024;

    /// <summary>A dense convolution, its channels scaled down together (to multiples of 8) where it would hold more than <see cref="MaxConvWeights"/>.</summary>
    private static KernelConfig ConvConfig(int resolution, int input, int output, int kernel, int stride, int activation)
    {
        long weights = (long)input * output * kernel * kernel;
        if (weights > MaxConvWeights)
        {
            double scale = Math.Sqrt((double)MaxConvWeights / weights);
            input = input == 3 ? 3 : Math.Max(8, (int)(input * scale) / 8 * 8);
            output = Math.Max(8, (int)(output * (input == 3 ? scale * scale : scale)) / 8 * 8);
        }
        return new KernelConfig(KernelKind.Conv, resolution, input, output, kernel, stride, activation);
    }

    /// <summary>A pooling kernel's configuration from its operation (see <see cref="PoolOperations"/>).</summary>
    public static KernelConfig PoolConfig(int resolution, int channels, int operation) => operation switch
    {
        AveragePool3 => new KernelConfig(KernelKind.Pool, resolution, channels, channels, 3, 1, operation),
        AveragePool3Stride2 or MaxPool3Stride2 => new KernelConfig(KernelKind.Pool, resolution, channels, channels, 3, 2, operation),
        MaxPool2Stride2 => new KernelConfig(KernelKind.Pool, resolution, channels, channels, 2, 2, operation),
        _ => new KernelConfig(KernelKind.Pool, resolution, channels, channels, resolution, resolution, GlobalPool),
    };

    /// <summary>The features of a configuration: the kernel's weights and MACs, and its <see cref="KernelConfig.Numbers"/> as the extra features.</summary>
    public static ArchitectureFeatures Features(KernelConfig config)
        => new(config.Weights, config.Macs, [], Disconnected: false, config.Numbers);

    public override ArchitectureFeatures Features(Architecture architecture, Dataset dataset) => Features(Config(architecture));

    public override string Format(Architecture architecture) => Describe(Config(architecture));

    /// <summary>A configuration in words, e.g. <c>conv 28x28 64->128 k3 s1 relu</c>.</summary>
    public string Describe(KernelConfig c)
    {
        return c.Kind switch
        {
            KernelKind.Conv or KernelKind.DepthwiseConv =>
                $"{Name[7..]} {c.Resolution}x{c.Resolution} {c.InputChannels}->{c.OutputChannels} k{c.Kernel} s{c.Stride}{(c.Variant == 1 ? " relu" : "")}",
            KernelKind.Elementwise => $"{ElementwiseOperations[c.Variant]} {c.Resolution}x{c.Resolution}x{c.InputChannels}",
            KernelKind.Pool => $"{PoolOperations[c.Variant]} {c.Resolution}x{c.Resolution}x{c.InputChannels}",
            _ => $"gemm {c.InputChannels}->{c.OutputChannels}",
        };
    }

    protected override Architecture ParseLongForm(string text)
        => throw new InvalidInputException($"'{text}': give a {Name} configuration by its digits ({string.Join(", ", Decisions.Select(d => $"{d.Name}: 0-{Architecture.DigitOf(d.Choices.Count - 1)}"))}).");
}
