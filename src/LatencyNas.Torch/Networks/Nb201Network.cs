using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Torch.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LatencyNas.Torch.Networks;

/// <summary>
/// The NAS-Bench-201 network exactly as the benchmark defines it (its <c>TinyNetwork</c> with
/// <c>InferCell</c>s): stem, three stages of five cells with 16/32/64 channels, stride-2 residual
/// blocks between stages, BN-ReLU, global average pooling and a linear classifier.
/// </summary>
public sealed class Nb201Network : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential stem;
    private readonly ModuleList<Module<Tensor, Tensor>> cells;
    private readonly Sequential lastact;
    private readonly AdaptiveAvgPool2d global_pooling;
    private readonly Linear classifier;

    public Nb201Network(Architecture architecture, Dataset dataset) : base(nameof(Nb201Network))
    {
        Architecture = architecture;
        Dataset = dataset;
        var channels = Nb201Space.StageChannels;
        stem = Sequential(
            ("conv", Conv2d(dataset.Channels, channels[0], 3, padding: 1, bias: false)),
            ("bn", BatchNorm2d(channels[0])));
        cells = new ModuleList<Module<Tensor, Tensor>>();
        int height = dataset.Height, width = dataset.Width;
        for (int stage = 0; stage < channels.Count; stage++)
        {
            if (stage > 0)
            {
                cells.Add(new Nb201ResidualBlock(channels[stage - 1], channels[stage], oddInput: height % 2 == 1 || width % 2 == 1));
                (height, width) = ((height + 1) / 2, (width + 1) / 2);
            }
            for (int i = 0; i < Nb201Space.CellsPerStage; i++)
            {
                cells.Add(new Nb201CellModule(architecture, channels[stage]));
            }
        }
        lastact = Sequential(("bn", BatchNorm2d(channels[^1])), ("relu", ReLU()));
        global_pooling = AdaptiveAvgPool2d(1);
        classifier = Linear(channels[^1], dataset.Classes);
        RegisterComponents();
    }

    public Architecture Architecture { get; }

    public Dataset Dataset { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = stem.forward(input);
        foreach (var cell in cells)
        {
            x = cell.forward(x);
        }
        x = global_pooling.forward(lastact.forward(x));
        return classifier.forward(x.view(x.shape[0], -1)).MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraphBuilder graph, string input)
    {
        string x = graph.Emit(stem, input);
        foreach (var cell in cells)
        {
            x = graph.Emit(cell, x);
        }
        x = graph.Emit(global_pooling, graph.Emit(lastact, x));
        return graph.Emit(classifier, graph.Flatten(x, "flatten"));
    }
}

/// <summary>
/// One NAS-Bench-201 cell. Its forward pass computes every edge, dead or not, as the benchmark
/// does; its ONNX export keeps only what reaches the output (see <see cref="IOnnxExportable.ExportOnnx"/>).
/// </summary>
public sealed class Nb201CellModule : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly ModuleList<Module<Tensor, Tensor>> edges;
    private readonly Nb201Op[] _ops;
    private readonly Architecture _architecture;

    public Nb201CellModule(Architecture architecture, int channels) : base("Nb201Cell")
    {
        _architecture = architecture;
        _ops = Enumerable.Range(0, Nb201Cell.EdgeCount).Select(e => Nb201Cell.Op(architecture, e)).ToArray();
        edges = new ModuleList<Module<Tensor, Tensor>>(_ops.Select(op => CreateOp(op, channels)).ToArray());
        RegisterComponents();
    }

    private static Module<Tensor, Tensor> CreateOp(Nb201Op op, int channels) => op switch
    {
        Nb201Op.None => new ZeroOp(),
        Nb201Op.SkipConnect => Identity(),
        Nb201Op.Conv1x1 => ReluConvBn(channels, channels, 1, stride: 1),
        Nb201Op.Conv3x3 => ReluConvBn(channels, channels, 3, stride: 1),
        Nb201Op.AvgPool3x3 => AvgPool2d(3, stride: 1, padding: 1, count_include_pad: false),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    internal static Sequential ReluConvBn(int inChannels, int outChannels, int kernel, int stride) => Sequential(
        ("relu", ReLU()),
        ("conv", Conv2d(inChannels, outChannels, kernel, stride: stride, padding: (kernel - 1) / 2, bias: false)),
        ("bn", BatchNorm2d(outChannels)));

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var nodes = new Tensor[Nb201Cell.NodeCount];
        nodes[0] = input;
        for (int node = 1; node < Nb201Cell.NodeCount; node++)
        {
            Tensor? sum = null;
            for (int e = 0; e < Nb201Cell.EdgeCount; e++)
            {
                var (from, to) = Nb201Cell.Edges[e];
                if (to == node)
                {
                    Tensor contribution = edges[e].forward(nodes[from]);
                    sum = sum is null ? contribution : sum.add(contribution, TorchScalars.One);
                }
            }
            nodes[node] = sum!;
        }
        return nodes[^1].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Exports what determines the cell output, with the same value as <see cref="forward"/>:
    /// a <c>none</c> edge adds x·0 and is left out of its node's sum; a node with no other input
    /// is zero and becomes <c>Mul(cell input, 0)</c>, which keeps its dependence on the input so a
    /// runtime cannot prune the network upstream of a disconnected cell; nodes that do not reach
    /// the output are not written. A convolution edge fed by a zero node still contributes its
    /// BatchNorm shift, so it is kept.
    /// </summary>
    string IOnnxExportable.ExportOnnx(OnnxGraphBuilder graph, string input)
    {
        bool[] needed = Nb201Cell.NodesReachingOutput(_architecture);
        var values = new string?[Nb201Cell.NodeCount];
        values[0] = input;
        for (int node = 1; node < Nb201Cell.NodeCount; node++)
        {
            if (!needed[node])
            {
                continue;
            }
            var terms = new List<string>();
            for (int e = 0; e < Nb201Cell.EdgeCount; e++)
            {
                var (from, to) = Nb201Cell.Edges[e];
                if (to == node && _ops[e] != Nb201Op.None)
                {
                    terms.Add(graph.Emit(edges[e], values[from]!));
                }
            }
            values[node] = terms.Count > 0
                ? graph.Sum(terms, $"{graph.PathOf(this)}/node{node}")
                : graph.ZerosLike(input, $"{graph.PathOf(this)}/node{node}");
        }
        return values[^1]!;
    }
}

/// <summary>
/// The ResNet basic block between stages: conv_a (stride 2), conv_b, and an avgpool + 1×1 conv shortcut.
/// On an odd height or width (FSD50K's 102 frames become 51 after the first block) the benchmark's
/// 2×2 pool would give ⌊n/2⌋ against conv_a's ⌈n/2⌉; the pool then rounds up too, averaging the
/// last, partial window over the values it covers. Even inputs get the benchmark's block unchanged.
/// </summary>
public sealed class Nb201ResidualBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential conv_a;
    private readonly Sequential conv_b;
    private readonly Sequential downsample;

    public Nb201ResidualBlock(int inChannels, int outChannels, bool oddInput = false) : base("ResNetBasicblock")
    {
        conv_a = Nb201CellModule.ReluConvBn(inChannels, outChannels, 3, stride: 2);
        conv_b = Nb201CellModule.ReluConvBn(outChannels, outChannels, 3, stride: 1);
        downsample = Sequential(
            ("avg", oddInput ? AvgPool2d(2, stride: 2, padding: 0, ceil_mode: true, count_include_pad: false) : AvgPool2d(2, stride: 2, padding: 0)),
            ("conv", Conv2d(inChannels, outChannels, 1, stride: 1, padding: 0L, bias: false)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return downsample.forward(input).add(conv_b.forward(conv_a.forward(input)), TorchScalars.One).MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraphBuilder graph, string input)
        => graph.Sum([graph.Emit(downsample, input), graph.Emit(conv_b, graph.Emit(conv_a, input))], graph.PathOf(this));
}

/// <summary>The <c>none</c> operation: x·0, as the benchmark computes it.</summary>
public sealed class ZeroOp : Module<Tensor, Tensor>, IOnnxExportable
{
    public ZeroOp() : base("Zero") { }

    public override Tensor forward(Tensor input) => input.mul(TorchScalars.Zero);

    string IOnnxExportable.ExportOnnx(OnnxGraphBuilder graph, string input) => graph.ZerosLike(input, graph.PathOf(this));
}
