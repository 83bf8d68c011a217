using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Torch.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LatencyNas.Torch.Networks;

/// <summary>
/// HW-NAS-Bench's FBNet network: a 3×3 stem, 22 searchable layers in 7 stages, a 1×1 head conv,
/// global average pooling and a linear classifier. One digit per layer picks its block
/// (see <see cref="FbnetSpace.Blocks"/>). The CIFAR variant (32×32 input) keeps the stem and the
/// second stage at stride 1; the ImageNet variant (224×224) uses stride 2 in both and a wider head.
/// </summary>
public sealed class FbnetNetwork : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential stem;
    private readonly ModuleList<Module<Tensor, Tensor>> layers;
    private readonly Sequential head;
    private readonly AdaptiveAvgPool2d global_pooling;
    private readonly Linear classifier;

    /// <summary>
    /// The network for a task: the stem takes its channels, the classifier gives its classes, and
    /// inputs wider than 64 on both sides take ImageNet's layout (<see cref="FbnetSpace.UsesImageNetLayout"/>).
    /// </summary>
    /// <param name="digits">22 digits 0–8, one block per layer.</param>
    /// <exception cref="ArgumentException">The digits are not 22 characters 0–8, or classes is not positive.</exception>
    public FbnetNetwork(string digits, Dataset dataset) : base(nameof(FbnetNetwork))
    {
        ArgumentNullException.ThrowIfNull(dataset);
        int classes = dataset.Classes;
        bool imagenet = FbnetSpace.UsesImageNetLayout(dataset);
        Blocks = ParseDigits(digits);
        if (classes < 1)
        {
            throw new ArgumentException($"An FBNet network needs at least one class, not {classes}.", nameof(dataset));
        }
        Digits = digits;
        Dataset = dataset;
        ImageNet = imagenet;

        var (stemStride, strides) = FbnetSpace.Strides(imagenet);
        stem = ConvBnRelu(dataset.Channels, FbnetSpace.StemWidth, 3, stemStride);
        long height = ConvOutputSize(dataset.Height, stemStride), width = ConvOutputSize(dataset.Width, stemStride);

        layers = new ModuleList<Module<Tensor, Tensor>>();
        int inChannels = FbnetSpace.StemWidth;
        int layer = 0;
        for (int stage = 0; stage < FbnetSpace.LayersPerStage.Count; stage++)
        {
            for (int i = 0; i < FbnetSpace.LayersPerStage[stage]; i++, layer++)
            {
                int stride = i == 0 ? strides[stage] : 1;
                layers.Add(CreateLayer(Blocks[layer], inChannels, FbnetSpace.StageWidths[stage], stride, height, width));
                inChannels = FbnetSpace.StageWidths[stage];
                (height, width) = (ConvOutputSize(height, stride), ConvOutputSize(width, stride));
            }
        }
        int headChannels = FbnetSpace.HeadWidth(imagenet);
        head = ConvBnRelu(FbnetSpace.StageWidths[^1], headChannels, 1, 1);
        global_pooling = AdaptiveAvgPool2d(1);
        classifier = Linear(headChannels, classes);
        RegisterComponents();
    }

    public string Digits { get; }

    public IReadOnlyList<FbnetBlockSpec> Blocks { get; }

    /// <summary>The task the network is built for: its input shape and classes.</summary>
    public Dataset Dataset { get; }

    public int Classes => Dataset.Classes;

    public bool ImageNet { get; }

    /// <summary>The block each digit selects, layer by layer.</summary>
    public static IReadOnlyList<FbnetBlockSpec> ParseDigits(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        int layers = FbnetSpace.Instance.Decisions.Count;
        if (digits.Length != layers || digits.Any(c => c < '0' || c - '0' >= FbnetSpace.Blocks.Count))
        {
            throw new ArgumentException($"An FBNet architecture is {layers} digits 0–8 (one block per layer), not '{digits}'.", nameof(digits));
        }
        return digits.Select(c => FbnetSpace.Blocks[c - '0']).ToArray();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = stem.forward(input);
        foreach (var layer in layers)
        {
            x = layer.forward(x);
        }
        x = global_pooling.forward(head.forward(x));
        return classifier.forward(x.view(x.shape[0], -1)).MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraphBuilder graph, string input)
    {
        string x = graph.Emit(stem, input);
        foreach (var layer in layers)
        {
            x = graph.Emit(layer, x);
        }
        x = graph.Emit(global_pooling, graph.Emit(head, x));
        return graph.Emit(classifier, graph.Flatten(x, "flatten"));
    }

    /// <summary>Spatial size after a convolution with padding K/2 (odd K): ⌈size / stride⌉.</summary>
    internal static long ConvOutputSize(long size, int stride) => (size + stride - 1) / stride;

    private static Module<Tensor, Tensor> CreateLayer(FbnetBlockSpec block, int inChannels, int outChannels, int stride, long height, long width)
    {
        if (!block.IsSkip)
        {
            return new FbnetBlock(block, inChannels, outChannels, stride, height, width);
        }
        return inChannels == outChannels && stride == 1 ? Identity() : ConvBnRelu(inChannels, outChannels, 1, stride);
    }

    internal static Sequential ConvBnRelu(int inChannels, int outChannels, int kernel, int stride, int groups = 1) => Sequential(
        ("conv", Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, groups: groups, bias: false)),
        ("bn", BatchNorm2d(outChannels)),
        ("relu", ReLU()));
}

/// <summary>
/// FBNet's inverted residual block kK_eE(_gG): 1×1 conv to C_in·E in G groups, BN, ReLU; a channel
/// shuffle when G &gt; 1; K×K depthwise conv with the stride, BN, ReLU; 1×1 conv in G groups to
/// C_out, BN; plus the input when the shape is kept.
/// </summary>
public sealed class FbnetBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential expand;
    private readonly ChannelShuffle? shuffle;
    private readonly Sequential depthwise;
    private readonly Sequential project;

    /// <param name="height">Height of the block's input (the shuffle's export needs the static shape).</param>
    /// <param name="width">Width of the block's input.</param>
    public FbnetBlock(FbnetBlockSpec block, int inChannels, int outChannels, int stride, long height, long width) : base("FbnetBlock")
    {
        if (block.IsSkip)
        {
            throw new ArgumentException("A skip layer is not an inverted residual block.", nameof(block));
        }
        int hidden = inChannels * block.Expansion;
        expand = FbnetNetwork.ConvBnRelu(inChannels, hidden, 1, 1, block.Groups);
        if (block.Groups > 1)
        {
            shuffle = new ChannelShuffle(block.Groups, hidden, height, width);
        }
        depthwise = FbnetNetwork.ConvBnRelu(hidden, hidden, block.Kernel, stride, groups: hidden);
        project = Sequential(
            ("conv", Conv2d(hidden, outChannels, 1, groups: block.Groups, bias: false)),
            ("bn", BatchNorm2d(outChannels)));
        HasResidual = inChannels == outChannels && stride == 1;
        RegisterComponents();
    }

    public bool HasResidual { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = expand.forward(input);
        if (shuffle is not null)
        {
            x = shuffle.forward(x);
        }
        x = project.forward(depthwise.forward(x));
        return (HasResidual ? x.add(input, TorchScalars.One) : x).MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraphBuilder graph, string input)
    {
        string x = graph.Emit(expand, input);
        if (shuffle is not null)
        {
            x = graph.Emit(shuffle, x);
        }
        x = graph.Emit(project, graph.Emit(depthwise, x));
        return HasResidual ? graph.Sum([x, input], graph.PathOf(this)) : x;
    }
}

/// <summary>
/// ShuffleNet's channel shuffle: [N, C, H, W] viewed as [N, G, C/G, H, W], dims 1 and 2 swapped,
/// viewed back. It is built for one input shape because the exported Reshapes are static.
/// </summary>
public sealed class ChannelShuffle : Module<Tensor, Tensor>, IOnnxExportable
{
    public ChannelShuffle(int groups, long channels, long height, long width) : base(nameof(ChannelShuffle))
    {
        if (groups < 1 || channels % groups != 0)
        {
            throw new ArgumentException($"{channels} channels cannot be shuffled in {groups} groups.", nameof(groups));
        }
        Groups = groups;
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Groups { get; }

    public long Channels { get; }

    public long Height { get; }

    public long Width { get; }

    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != Channels || input.shape[2] != Height || input.shape[3] != Width)
        {
            throw new ArgumentException(
                $"This channel shuffle was built for [N, {Channels}, {Height}, {Width}] inputs, not [{string.Join(", ", input.shape)}].", nameof(input));
        }
        long batch = input.shape[0];
        return input.view(batch, Groups, Channels / Groups, Height, Width).transpose(1, 2).reshape(batch, Channels, Height, Width);
    }

    string IOnnxExportable.ExportOnnx(OnnxGraphBuilder graph, string input)
        => graph.ChannelShuffle(input, Groups, Channels, Height, Width, graph.PathOf(this));
}
