namespace LatencyNas.Core.Spaces.Nb201;

/// <summary>
/// The nodes of an NB201 network as the exporter writes them, without weights or shapes, in the order it writes
/// them: a <c>none</c> edge left out of its node's sum, a node with no other input written as <c>Mul(cell input, 0)</c>,
/// nodes the cell output does not depend on not written, and a computation written once however many edges ask for
/// it (the pool or ReLU of one node, the sum of the same terms; each convolution has its own weights, so it is never
/// shared). Constants are left out of a node's inputs.
/// </summary>
internal sealed class Nb201ExportedGraph
{
    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);
    private readonly List<Nb201GraphNode> _nodes = [];

    public IReadOnlyList<Nb201GraphNode> Nodes => _nodes;

    /// <summary>The value the network's input is.</summary>
    public const string Input = "input";

    /// <summary>One cell reading <paramref name="input"/>; returns its output.</summary>
    public string Cell(Architecture architecture, string input)
    {
        bool[] fromInput = Nb201Cell.NodesReachedFromInput(architecture);
        bool[] needed = Nb201Cell.NodesReachingOutput(architecture);
        var values = new string[Nb201Cell.NodeCount];
        values[0] = input;
        for (int node = 1; node < Nb201Cell.NodeCount; node++)
        {
            if (!needed[node])
            {
                continue;
            }
            string? sum = null;
            for (int e = 0; e < Nb201Cell.EdgeCount; e++)
            {
                var (from, to) = Nb201Cell.Edges[e];
                Nb201Op op = Nb201Cell.Op(architecture, e);
                if (to != node || op == Nb201Op.None)
                {
                    continue;
                }
                bool onZeroNode = !fromInput[from];
                string term = op switch
                {
                    Nb201Op.SkipConnect => values[from],
                    Nb201Op.AvgPool3x3 => Emit("AveragePool", [values[from]], kind: "3x3", edgeOp: op, onZeroNode: onZeroNode),
                    _ => ConvBn(values[from], edgeOp: op, onZeroNode: onZeroNode),
                };
                sum = sum is null ? term : Emit("Add", [sum, term]);
            }
            values[node] = sum ?? Emit("Mul", [input], readsConstant: true);
        }
        return values[^1];
    }

    /// <summary>The whole network: stem, 3 × 5 cells with a residual block between stages, BN-ReLU, pooling, classifier; returns its output.</summary>
    public string Network(Architecture architecture)
    {
        string x = ConvBn(Input, relu: false);
        for (int stage = 0; stage < Nb201Space.StageChannels.Count; stage++)
        {
            if (stage > 0)
            {
                string shortcut = Emit("Conv", [Emit("AveragePool", [x], kind: "2x2")], unique: true);
                x = Emit("Add", [shortcut, ConvBn(ConvBn(x))]);
            }
            for (int cell = 0; cell < Nb201Space.CellsPerStage; cell++)
            {
                x = Cell(architecture, x);
            }
        }
        x = Emit("Relu", [Emit("BatchNormalization", [x], unique: true)]);
        return Emit("Gemm", [Emit("Flatten", [Emit("GlobalAveragePool", [x])])], unique: true);
    }

    /// <summary>ReLU (unless the stem's), convolution, BatchNorm.</summary>
    private string ConvBn(string input, bool relu = true, Nb201Op? edgeOp = null, bool onZeroNode = false)
        => Emit("BatchNormalization", [Emit("Conv", [relu ? Emit("Relu", [input]) : input], unique: true, edgeOp: edgeOp, onZeroNode: onZeroNode)], unique: true);

    /// <param name="kind">What tells two nodes of one operator apart beside their inputs (a pool's window).</param>
    /// <param name="unique">A node with its own weights, never shared.</param>
    private string Emit(string op, string[] inputs, string kind = "", bool readsConstant = false, bool unique = false, Nb201Op? edgeOp = null, bool onZeroNode = false)
    {
        string computation = $"{op}{kind}({string.Join(",", inputs)})";
        if (!unique && _written.TryGetValue(computation, out string? existing))
        {
            return existing;
        }
        var node = new Nb201GraphNode(op, inputs, $"v{_nodes.Count}", readsConstant, edgeOp, onZeroNode);
        _nodes.Add(node);
        _written[computation] = node.Output;
        return node.Output;
    }
}

/// <param name="ReadsConstant">It also reads a constant (the zero of <c>Mul(cell input, 0)</c>).</param>
/// <param name="EdgeOp">The cell edge's operation a convolution or pool computes; null elsewhere.</param>
/// <param name="OnZeroNode">A cell edge's convolution or pool of a node no edge from the cell input reaches.</param>
internal sealed record Nb201GraphNode(string Op, IReadOnlyList<string> Inputs, string Output, bool ReadsConstant, Nb201Op? EdgeOp, bool OnZeroNode);
