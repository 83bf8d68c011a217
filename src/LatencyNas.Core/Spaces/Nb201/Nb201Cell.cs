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
