namespace LatencyNas.Core.Spaces.Fbnet;

/// <summary>One FBNet block choice: a K×K inverted bottleneck with expansion E in G groups, or a skip.</summary>
public sealed record FbnetBlockSpec(string Name, int Kernel, int Expansion, int Groups)
{
    public bool IsSkip => Kernel == 0;
}

/// <summary>
/// HW-NAS-Bench's FBNet space: 22 searchable layers in 7 stages of [1,4,4,4,4,4,1] layers with
/// widths [16,24,32,64,112,184,352], each layer one of 9 blocks (9^22 ≈ 9.8·10^20 members). A
/// 3×3 stem conv (3→16) with BN and ReLU before, and a 1×1 conv head (352→1504 on CIFAR, →1984 on
/// ImageNet) with BN, ReLU, global pooling and a linear classifier after. The first layer of a
/// stage takes the stage's stride and the previous width; the others keep both.
/// </summary>
public sealed class FbnetSpace : SearchSpace
{
    public static IReadOnlyList<int> LayersPerStage { get; } = [1, 4, 4, 4, 4, 4, 1];

    public static IReadOnlyList<int> StageWidths { get; } = [16, 24, 32, 64, 112, 184, 352];

    public const int StemWidth = 16;

    /// <summary>The 9 blocks, in digit order.</summary>
    public static IReadOnlyList<FbnetBlockSpec> Blocks { get; } =
    [
        new("k3_e1", 3, 1, 1), new("k3_e1_g2", 3, 1, 2), new("k3_e3", 3, 3, 1), new("k3_e6", 3, 6, 1),
        new("k5_e1", 5, 1, 1), new("k5_e1_g2", 5, 1, 2), new("k5_e3", 5, 3, 1), new("k5_e6", 5, 6, 1),
        new("skip", 0, 1, 1),
    ];

    public static FbnetSpace Instance { get; } = new();

    private FbnetSpace()
    {
        var decisions = new List<Decision>();
        var names = Blocks.Select(b => b.Name).ToArray();
        for (int stage = 0; stage < LayersPerStage.Count; stage++)
        {
            for (int layer = 0; layer < LayersPerStage[stage]; layer++)
            {
                decisions.Add(new Decision($"s{stage + 1}.{layer + 1} ({StageWidths[stage]} ch)", names));
            }
        }
        Decisions = decisions;
    }

    public override string Name => "fbnet";

    public override IReadOnlyList<Decision> Decisions { get; }

    public override IReadOnlyList<Dataset> Datasets { get; } = [Dataset.Cifar10, Dataset.Cifar100, Dataset.ImageNet];

    /// <summary>
    /// Whether a network for the dataset takes ImageNet's layout (made for 224×224 input: stride 2 in
    /// the stem and the second stage) rather than CIFAR's (32×32): when both sides exceed 64.
    /// </summary>
    public static bool UsesImageNetLayout(Dataset dataset) => Math.Min(dataset.Height, dataset.Width) > 64;

    /// <summary>Stage strides: the stem's then each stage's first layer's, for CIFAR's or ImageNet's layout.</summary>
    public static (int Stem, IReadOnlyList<int> Stages) Strides(bool imageNet) => imageNet
        ? (2, [1, 2, 2, 2, 1, 2, 1])
        : (1, [1, 1, 2, 2, 1, 2, 1]);

    /// <summary>The head conv's width: 1504 on CIFAR, 1984 on ImageNet.</summary>
    public static int HeadWidth(bool imageNet) => imageNet ? 1984 : 1504;

    /// <summary>The long form: the blocks' names, '-' between layers and '/' between stages, e.g. <c>k3_e1/k3_e3-skip-k5_e6-skip/…</c>.</summary>
    public override string Format(Architecture architecture)
    {
        var stages = new List<string>();
        int layer = 0;
        foreach (int count in LayersPerStage)
        {
            stages.Add(string.Join('-', Enumerable.Range(layer, count).Select(l => Blocks[architecture[l]].Name)));
            layer += count;
        }
        return string.Join('/', stages);
    }

    protected override Architecture ParseLongForm(string text)
    {
        string expected = $"expected 22 digits 0-8 (one block per layer: {string.Join(", ", Blocks.Select((b, i) => $"{i} {b.Name}"))}) " +
                          "or the block names with '-' between layers and '/' between the 7 stages of 1,4,4,4,4,4,1 layers";
        string[] stages = text.Split('/');
        if (stages.Length != LayersPerStage.Count)
        {
            throw new InvalidInputException($"'{text}' is not an {Name} architecture: {expected}.");
        }
        var digits = new List<char>();
        for (int stage = 0; stage < stages.Length; stage++)
        {
            string[] layers = stages[stage].Split('-');
            if (layers.Length != LayersPerStage[stage])
            {
                throw new InvalidInputException($"'{text}': stage {stage + 1} has {layers.Length} layers; it has {LayersPerStage[stage]} in {Name}.");
            }
            foreach (string layer in layers)
            {
                int block = Blocks.ToList().FindIndex(b => b.Name == layer.Trim());
                if (block < 0)
                {
                    throw new InvalidInputException($"'{text}': '{layer}' is not a block; blocks are {string.Join(", ", Blocks.Select(b => b.Name))}.");
                }
                digits.Add((char)('0' + block));
            }
        }
        return FromDigits(new string(digits.ToArray()));
    }

    private static readonly string[] StageFeatureNames =
        Enumerable.Range(1, LayersPerStage.Count).SelectMany(stage => new[] { $"stage{stage}_macs_m", $"stage{stage}_skips" }).ToArray();

    /// <summary>
    /// Analytic parameters and MACs, as the network holds and runs them: convolutions have no bias,
    /// BatchNorm has two affine terms per channel, the linear layer a weight matrix and bias. MACs
    /// count convolutions and the linear layer only (BN, ReLU, additions, shuffles and pooling count zero).
    /// Extra features: each stage's MACs (millions) and its count of skipped layers.
    /// </summary>
    public override ArchitectureFeatures Features(Architecture architecture, Dataset dataset)
    {
        bool imageNet = UsesImageNetLayout(dataset);
        var (stemStride, stageStrides) = Strides(imageNet);
        // A K×K convolution with padding K/2 and stride s makes n into ⌈n/s⌉.
        static int After(int size, int stride) => (size + stride - 1) / stride;
        int height = After(dataset.Height, stemStride), width = After(dataset.Width, stemStride);
        long parameters = Convolution(dataset.Channels, StemWidth, 3, 1) + BatchNorm(StemWidth);
        long macs = Convolution(dataset.Channels, StemWidth, 3, 1) * height * width;
        var extra = new KeyValuePair<string, double>[2 * LayersPerStage.Count];
        var counts = new int[Blocks.Count];
        int channels = StemWidth;
        int layer = 0;
        for (int stage = 0; stage < LayersPerStage.Count; stage++)
        {
            long stageMacs = 0;
            int skipped = 0;
            for (int i = 0; i < LayersPerStage[stage]; i++, layer++)
            {
                int stride = i == 0 ? stageStrides[stage] : 1;
                int output = StageWidths[stage];
                int outHeight = After(height, stride), outWidth = After(width, stride);
                var (blockParameters, blockMacs) = Block(Blocks[architecture[layer]], channels, output, stride, (long)height * width, (long)outHeight * outWidth);
                parameters += blockParameters;
                stageMacs += blockMacs;
                skipped += Blocks[architecture[layer]].IsSkip ? 1 : 0;
                counts[architecture[layer]]++;
                (channels, height, width) = (output, outHeight, outWidth);
            }
            macs += stageMacs;
            extra[2 * stage] = new(StageFeatureNames[2 * stage], stageMacs / 1e6);
            extra[2 * stage + 1] = new(StageFeatureNames[2 * stage + 1], skipped);
        }
        int head = HeadWidth(imageNet);
        parameters += Convolution(channels, head, 1, 1) + BatchNorm(head) + (long)head * dataset.Classes + dataset.Classes;
        macs += Convolution(channels, head, 1, 1) * height * width + (long)head * dataset.Classes;
        var opCounts = new KeyValuePair<string, int>[Blocks.Count];
        for (int block = 0; block < opCounts.Length; block++)
        {
            opCounts[block] = new(Blocks[block].Name, counts[block]);
        }
        return new ArchitectureFeatures(parameters, macs, opCounts, Disconnected: false, extra);
    }

    /// <summary>A block's parameters and MACs from <paramref name="input"/> to <paramref name="output"/> channels.</summary>
    private static (long Parameters, long Macs) Block(FbnetBlockSpec block, int input, int output, int stride, long inArea, long outArea)
    {
        if (block.IsSkip)
        {
            return input == output && stride == 1
                ? (0, 0)
                : (Convolution(input, output, 1, 1) + BatchNorm(output), Convolution(input, output, 1, 1) * outArea);
        }
        int middle = input * block.Expansion;
        long expand = Convolution(input, middle, 1, block.Groups);
        long depthwise = Convolution(middle, middle, block.Kernel, middle);
        long project = Convolution(middle, output, 1, block.Groups);
        return (expand + depthwise + project + BatchNorm(middle) * 2 + BatchNorm(output),
            expand * inArea + (depthwise + project) * outArea);
    }

    /// <summary>Weights of a bias-free convolution in <paramref name="groups"/> groups.</summary>
    private static long Convolution(int input, int output, int kernel, int groups) => (long)input / groups * output * kernel * kernel;

    private static long BatchNorm(int channels) => 2L * channels;
}
