namespace LatencyNas.Core.Spaces.Nb201;

/// <summary>The five NAS-Bench-201 edge operations, numbered as in the benchmark's op list (the <c>ops</c> digits).</summary>
public enum Nb201Op
{
    None = 0,
    SkipConnect = 1,
    Conv1x1 = 2,
    Conv3x3 = 3,
    AvgPool3x3 = 4,
}

/// <summary>
/// The NAS-Bench-201 cell graph: 4 nodes, node0 the cell input and node3 its output;
/// node1 = e0(node0); node2 = e1(node0) + e2(node1); node3 = e3(node0) + e4(node1) + e5(node2).
/// </summary>
public static class Nb201Cell
{
    public const int NodeCount = 4;
    public const int EdgeCount = 6;

    public static IReadOnlyList<string> OpNames { get; } =
        ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"];

    /// <summary>Source and target node of each edge e0..e5.</summary>
    public static IReadOnlyList<(int From, int To)> Edges { get; } = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)];

    public static Nb201Op Op(Architecture architecture, int edge) => (Nb201Op)architecture[edge];

    public static bool IsConvolution(Nb201Op op) => op is Nb201Op.Conv1x1 or Nb201Op.Conv3x3;

    /// <summary>True when no chain of non-<c>none</c> edges leads from node0 to node3 (341 of the 15,625 cells).</summary>
    public static bool IsDisconnected(Architecture architecture) => !NodesReachedFromInput(architecture)[NodeCount - 1];

    /// <summary>
    /// Edges that lie on some node0 → node3 path of non-<c>none</c> edges: only these influence the
    /// cell output. Empty for a disconnected cell.
    /// </summary>
    public static bool[] LiveEdges(Architecture architecture)
    {
        bool[] fromInput = NodesReachedFromInput(architecture);
        bool[] toOutput = NodesReachingOutput(architecture);
        var live = new bool[EdgeCount];
        for (int e = 0; e < EdgeCount; e++)
        {
            var (from, to) = Edges[e];
            live[e] = Op(architecture, e) != Nb201Op.None && fromInput[from] && toOutput[to];
        }
        return live;
    }

    /// <summary>
    /// Non-<c>none</c> edges into a node the cell output depends on: the edges this project's export computes
    /// (<see cref="Computed"/>), a superset of <see cref="LiveEdges"/> — it keeps edges fed by a node no edge from the input reaches.
    /// </summary>
    public static bool[] EdgesReachingOutput(Architecture architecture)
    {
        bool[] toOutput = NodesReachingOutput(architecture);
        var reaching = new bool[EdgeCount];
        for (int e = 0; e < EdgeCount; e++)
        {
            reaching[e] = Op(architecture, e) != Nb201Op.None && toOutput[Edges[e].To];
        }
        return reaching;
    }

    /// <summary>The largest number of convolution edges on one node0 → node3 path of live edges (0 when disconnected).</summary>
    public static int LongestConvolutionPath(Architecture architecture)
    {
        bool[] live = LiveEdges(architecture);
        var best = new int[NodeCount];
        Array.Fill(best, -1);
        best[0] = 0;
        for (int e = 0; e < EdgeCount; e++)
        {
            var (from, to) = Edges[e];
            if (live[e] && best[from] >= 0)
            {
                best[to] = Math.Max(best[to], best[from] + (IsConvolution(Op(architecture, e)) ? 1 : 0));
            }
        }
        return Math.Max(best[NodeCount - 1], 0);
    }

    /// <summary>Node3 and every node from which a chain of non-<c>none</c> edges leads to it: the nodes the cell output depends on.</summary>
    public static bool[] NodesReachingOutput(Architecture architecture)
    {
        var toOutput = new bool[NodeCount];
        toOutput[NodeCount - 1] = true;
        for (int e = EdgeCount - 1; e >= 0; e--)
        {
            var (from, to) = Edges[e];
            if (Op(architecture, e) != Nb201Op.None && toOutput[to])
            {
                toOutput[from] = true;
            }
        }
        return toOutput;
    }

    /// <summary>
    /// What the exported network computes for the cell: the nodes it writes for every non-<c>none</c>
    /// edge into a node the output depends on. That includes edges fed by a node no edge from the
    /// input reaches — such a node is zero, computed as <c>input · 0</c> so the network upstream is not
    /// pruned, and a convolution or pool of it still runs. The exporter writes a computation once
    /// however many edges ask for it (the pool or ReLU of one node, a sum of the same terms), and so
    /// does this count.
    /// </summary>
    public static ComputedCell Computed(Architecture architecture)
    {
        var graph = new Nb201ExportedGraph();
        graph.Cell(architecture, Nb201ExportedGraph.Input);
        var nodes = graph.Nodes;
        return new ComputedCell(
            Convolutions1x1: nodes.Count(n => n.EdgeOp == Nb201Op.Conv1x1),
            Convolutions3x3: nodes.Count(n => n.EdgeOp == Nb201Op.Conv3x3),
            Pools: nodes.Count(n => n.EdgeOp == Nb201Op.AvgPool3x3),
            Relus: nodes.Count(n => n.Op == "Relu"),
            Additions: nodes.Count(n => n.Op == "Add"),
            ZeroNodes: nodes.Count(n => n.Op == "Mul"),
            OpsOnZeroNodes: nodes.Count(n => n.OnZeroNode));
    }

    /// <summary>Node0 and every node a chain of non-<c>none</c> edges from it reaches.</summary>
    public static bool[] NodesReachedFromInput(Architecture architecture)
    {
        var reachable = new bool[NodeCount];
        reachable[0] = true;
        for (int e = 0; e < EdgeCount; e++)
        {
            var (from, to) = Edges[e];
            if (reachable[from] && Op(architecture, e) != Nb201Op.None)
            {
                reachable[to] = true;
            }
        }
        return reachable;
    }
}

/// <summary>One cell as the exported network computes it (<see cref="Nb201Cell.Computed"/>): the nodes written per cell.</summary>
/// <param name="Convolutions1x1">ReLU-conv1x1-BatchNorm edges (each has its own weights).</param>
/// <param name="Convolutions3x3">ReLU-conv3x3-BatchNorm edges.</param>
/// <param name="Pools">Average pools, one per node pooled.</param>
/// <param name="Relus">ReLUs, one per node a convolution reads.</param>
/// <param name="Additions">Two-input additions summing the nodes' terms.</param>
/// <param name="ZeroNodes">1 when the output depends on a node no edge from the input reaches (all such nodes are one <c>input · 0</c>), else 0.</param>
/// <param name="OpsOnZeroNodes">Convolutions and pools computed on a node no edge from the input reaches.</param>
public sealed record ComputedCell(int Convolutions1x1, int Convolutions3x3, int Pools, int Relus, int Additions, int ZeroNodes, int OpsOnZeroNodes);
