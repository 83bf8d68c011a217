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
    public static bool IsDisconnected(Architecture architecture) => !ReachableFromInput(architecture)[NodeCount - 1];

    /// <summary>
    /// Edges that lie on some node0 → node3 path of non-<c>none</c> edges: only these influence the
    /// cell output. Empty for a disconnected cell.
    /// </summary>
    public static bool[] LiveEdges(Architecture architecture)
    {
        bool[] fromInput = ReachableFromInput(architecture);
        bool[] toOutput = NodesReachingOutput(architecture);
        var live = new bool[EdgeCount];
        for (int e = 0; e < EdgeCount; e++)
        {
            var (from, to) = Edges[e];
            live[e] = Op(architecture, e) != Nb201Op.None && fromInput[from] && toOutput[to];
        }
        return live;
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
        bool[] fromInput = ReachableFromInput(architecture);
        bool[] toOutput = NodesReachingOutput(architecture);
        var written = new HashSet<string>();
        int conv1x1 = 0, conv3x3 = 0, pools = 0, relus = 0, additions = 0, zeroNodes = 0, opsOnZeroNodes = 0;
        // A value is named by the computation that makes it, so two identical computations share a name
        // (each convolution has its own weights, so it is never shared).
        bool Write(string computation) => written.Add(computation);

        var values = new string[NodeCount];
        values[0] = "input";
        for (int node = 1; node < NodeCount; node++)
        {
            if (!toOutput[node])
            {
                continue;
            }
            string? sum = null;
            for (int e = 0; e < EdgeCount; e++)
            {
                var (from, to) = Edges[e];
                Nb201Op op = Op(architecture, e);
                if (to != node || op == Nb201Op.None)
                {
                    continue;
                }
                string source = values[from];
                string term = source;
                bool onZero = !fromInput[from];
                if (op == Nb201Op.AvgPool3x3)
                {
                    term = $"pool({source})";
                    if (Write(term))
                    {
                        pools++;
                        opsOnZeroNodes += onZero ? 1 : 0;
                    }
                }
                else if (IsConvolution(op))
                {
                    relus += Write($"relu({source})") ? 1 : 0;
                    term = $"conv{e}(relu({source}))";
                    (conv1x1, conv3x3) = op == Nb201Op.Conv1x1 ? (conv1x1 + 1, conv3x3) : (conv1x1, conv3x3 + 1);
                    opsOnZeroNodes += onZero ? 1 : 0;
                }
                if (sum is null)
                {
                    sum = term;
                }
                else
                {
                    string added = $"add({sum},{term})";
                    additions += Write(added) ? 1 : 0;
                    sum = added;
                }
            }
            if (sum is null)
            {
                sum = "zero(input)";
                zeroNodes += Write(sum) ? 1 : 0;
            }
            values[node] = sum;
        }
        return new ComputedCell(conv1x1, conv3x3, pools, relus, additions, zeroNodes, opsOnZeroNodes);
    }

    private static bool[] ReachableFromInput(Architecture architecture)
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
