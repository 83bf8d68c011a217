using System.Text;

namespace LatencyNas.Core.Spaces.Nb201;

/// <summary>
/// NAS-Bench-201: one cell (6 edges × 5 ops = 15,625 architectures) repeated in a fixed
/// ResNet-like macro skeleton: stem conv(3→16) + BN; three stages of <see cref="CellsPerStage"/>
/// cells with 16, 32 and 64 channels; a stride-2 residual block between stages; BN, ReLU, global
/// average pool and a linear classifier.
/// </summary>
public sealed class Nb201Space : SearchSpace
{
    public const int CellsPerStage = 5;
    public static IReadOnlyList<int> StageChannels { get; } = [16, 32, 64];

    public static Nb201Space Instance { get; } = new();

    private Nb201Space()
    {
        Decisions = Nb201Cell.Edges
            .Select((edge, i) => new Decision($"e{i} (node{edge.From}→node{edge.To})", Nb201Cell.OpNames))
            .ToArray();
    }

    public override string Name => "nb201";

    public override IReadOnlyList<Decision> Decisions { get; }

    public override IReadOnlyList<Dataset> Datasets { get; } = [Dataset.Cifar10, Dataset.Cifar100, Dataset.ImageNet16_120];

    /// <summary>
    /// Every edge <c>skip_connect</c>: the cell of identities. Not every edge <c>none</c> (choice 0), whose blends cut the
    /// cell's paths — networks that compute almost nothing, whose measured latencies (and so predictions) jump erratically.
    /// </summary>
    public override Architecture Reference => new(new string('1', Decisions.Count));

    public override bool HasIndex => true;

    public override int? IndexOf(Architecture architecture) => Nb201Index.Of(architecture);

    protected override Architecture AtIndex(int index) => Nb201Index.At(index);

    /// <summary>The arch string, e.g. <c>|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|</c>.</summary>
    public override string Format(Architecture architecture)
    {
        var text = new StringBuilder("|");
        for (int e = 0; e < Nb201Cell.EdgeCount; e++)
        {
            var (from, to) = Nb201Cell.Edges[e];
            if (e > 0 && from == 0)
            {
                text.Append("+|");
            }
            text.Append(Nb201Cell.OpNames[architecture[e]]).Append('~').Append(from).Append('|');
        }
        return text.ToString();
    }

    protected override Architecture ParseLongForm(string text)
    {
        const string Expected = "expected 6 digits 0-4 (e.g. 333133), an index like #1234, or an arch string like |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
        if (!text.StartsWith('|') || !text.EndsWith('|'))
        {
            throw new InvalidInputException($"'{text}' is not a {Name} architecture: {Expected}.");
        }
        string[] nodes = text.Split('+');
        if (nodes.Length != Nb201Cell.NodeCount - 1)
        {
            throw new InvalidInputException($"'{text}' has {nodes.Length} node groups separated by '+'; {Name} has 3: {Expected}.");
        }
        var digits = new char[Nb201Cell.EdgeCount];
        int edge = 0;
        for (int node = 1; node < Nb201Cell.NodeCount; node++)
        {
            string group = nodes[node - 1];
            if (!group.StartsWith('|') || !group.EndsWith('|'))
            {
                throw new InvalidInputException($"'{text}': node group {node} ('{group}') must start and end with '|'.");
            }
            string[] inputs = group.Trim('|').Split('|');
            if (inputs.Length != node)
            {
                throw new InvalidInputException($"'{text}': node {node} must have {node} input edge(s), found {inputs.Length}.");
            }
            for (int source = 0; source < node; source++, edge++)
            {
                string[] parts = inputs[source].Split('~');
                int op = parts.Length == 2 ? IndexOfOp(parts[0]) : -1;
                if (op < 0)
                {
                    throw new InvalidInputException(
                        $"'{text}': '{inputs[source]}' is not op~node; ops are {string.Join(", ", Nb201Cell.OpNames)}.");
                }
                if (parts[1] != source.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    throw new InvalidInputException(
                        $"'{text}': edge {edge} into node {node} must read from node {source}, not '{parts[1]}'.");
                }
                digits[edge] = (char)('0' + op);
            }
        }
        return FromDigits(new string(digits));
    }

    private static int IndexOfOp(string name)
    {
        for (int i = 0; i < Nb201Cell.OpNames.Count; i++)
        {
            if (Nb201Cell.OpNames[i] == name)
            {
                return i;
            }
        }
        return -1;
    }

    private static readonly string[] LiveFeatureNames = Nb201Cell.OpNames.Skip(1).Select(name => $"live_{name}").ToArray();

    /// <summary>
    /// Analytic parameters and MACs of the network as the benchmark computes it: every edge of
    /// every cell is counted, dead or not, because the benchmark's network holds and runs them all.
    /// </summary>
    public override ArchitectureFeatures Features(Architecture architecture, Dataset dataset)
    {
        long parameters = 0, macs = 0;
        long area = (long)dataset.Height * dataset.Width;
        int height = dataset.Height, width = dataset.Width;
        int stemChannels = StageChannels[0];

        parameters += Convolution(dataset.Channels, stemChannels, 3) + BatchNorm(stemChannels);
        macs += Convolution(dataset.Channels, stemChannels, 3) * area;

        for (int stage = 0; stage < StageChannels.Count; stage++)
        {
            int channels = StageChannels[stage];
            if (stage > 0)
            {
                int inChannels = StageChannels[stage - 1];
                // A 3×3 convolution with padding 1 and stride 2 makes n into ⌈n/2⌉.
                (height, width) = ((height + 1) / 2, (width + 1) / 2);
                area = (long)height * width;
                // ResNet basic block, stride 2: ReLU-conv3x3(s2)-BN, ReLU-conv3x3-BN, shortcut avgpool + conv1x1.
                parameters += Convolution(inChannels, channels, 3) + BatchNorm(channels)
                    + Convolution(channels, channels, 3) + BatchNorm(channels)
                    + Convolution(inChannels, channels, 1);
                macs += (Convolution(inChannels, channels, 3) + Convolution(channels, channels, 3) + Convolution(inChannels, channels, 1)) * area;
            }
            for (int e = 0; e < Nb201Cell.EdgeCount; e++)
            {
                int kernel = Nb201Cell.Op(architecture, e) switch
                {
                    Nb201Op.Conv1x1 => 1,
                    Nb201Op.Conv3x3 => 3,
                    _ => 0,
                };
                if (kernel > 0)
                {
                    parameters += CellsPerStage * (Convolution(channels, channels, kernel) + BatchNorm(channels));
                    macs += CellsPerStage * Convolution(channels, channels, kernel) * area;
                }
            }
        }

        int lastChannels = StageChannels[^1];
        parameters += BatchNorm(lastChannels) + (long)lastChannels * dataset.Classes + dataset.Classes;
        macs += (long)lastChannels * dataset.Classes;

        // Predictors compute these for every architecture they score: one pass, names made once.
        var counts = new int[Nb201Cell.OpNames.Count];
        var liveCounts = new int[Nb201Cell.OpNames.Count];
        bool[] live = Nb201Cell.LiveEdges(architecture);
        for (int e = 0; e < Nb201Cell.EdgeCount; e++)
        {
            counts[architecture[e]]++;
            liveCounts[architecture[e]] += live[e] ? 1 : 0;
        }
        var opCounts = new KeyValuePair<string, int>[counts.Length];
        for (int op = 0; op < counts.Length; op++)
        {
            opCounts[op] = new(Nb201Cell.OpNames[op], counts[op]);
        }
        // What the exported network runs, beside what influences the output: on ONNX Runtime a
        // convolution of a zero node costs as much as any, and the ReLUs, additions and zero nodes cost too.
        var computed = Nb201Cell.Computed(architecture);
        var extra = new List<KeyValuePair<string, double>>(LiveFeatureNames.Length + 13);
        for (int op = 1; op < counts.Length; op++)
        {
            extra.Add(new(LiveFeatureNames[op - 1], liveCounts[op]));
        }
        extra.Add(new("longest_conv_path", Nb201Cell.LongestConvolutionPath(architecture)));
        extra.Add(new("computed_nor_conv_1x1", computed.Convolutions1x1));
        extra.Add(new("computed_nor_conv_3x3", computed.Convolutions3x3));
        extra.Add(new("computed_avg_pool_3x3", computed.Pools));
        extra.Add(new("computed_relus", computed.Relus));
        extra.Add(new("computed_additions", computed.Additions));
        extra.Add(new("zero_nodes", computed.ZeroNodes));
        extra.Add(new("ops_on_zero_nodes", computed.OpsOnZeroNodes));
        var kernels = Nb201RuntimeKernels.Count(architecture);
        extra.Add(new("ort_reorder_inputs", kernels.ReorderInputs));
        extra.Add(new("ort_reorder_outputs", kernels.ReorderOutputs));
        extra.Add(new("ort_plain_kernels", kernels.PlainKernels));
        extra.Add(new("ort_blocked_elementwise", kernels.BlockedElementwise));
        extra.Add(new("ort_fused_additions", kernels.FusedAdditions));
        return new ArchitectureFeatures(parameters, macs, opCounts, Nb201Cell.IsDisconnected(architecture), extra);
    }

    private static long Convolution(int inChannels, int outChannels, int kernel) => (long)inChannels * outChannels * kernel * kernel;

    private static long BatchNorm(int channels) => 2L * channels;
}
