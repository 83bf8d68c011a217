using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace LatencyNas.Prediction;

/// <summary>
/// A trained FastTree or LightGbm ensemble flattened into arrays: every tree's nodes in one
/// block, walked without a data view, a schema or a row cursor, so that a batch can be split
/// across cores (ML.NET's <c>Transform</c> runs one cursor), and tree by tree over blocks of rows,
/// so that a tree's nodes stay in cache. The result is ML.NET's score:
/// the ensemble's bias plus each tree's leaf value times the tree's weight, a node going left when
/// its feature is at most its threshold.
/// </summary>
/// <remarks>
/// The walk has no branch that depends on the data, which is what made it slow (a mispredicted
/// branch per node, 600 trees of up to 32 leaves): each node's two children sit side by side, so
/// the next node is the first child plus one when the feature exceeds the threshold; a leaf is a
/// node that leads to itself (a threshold nothing exceeds), so every row takes exactly the tree's
/// depth in steps; and eight rows walk a tree together, their independent loads overlapping.
/// A node is one 8-byte word (threshold, feature, distance to its first child), read by one load,
/// and features and thresholds are compared as integers: a float's bits, reordered so that integer
/// order is float order (<see cref="Key"/>), which keeps the comparison off the floating-point unit.
/// Rows are held feature by feature (the 32 rows' values of one feature side by side), so the eight
/// rows walking together share one base address. On a million FBNet architectures (600 FastTree
/// trees, depth 11 at most, leaves at 6.8 on average) the first three, with the batch's blocks and
/// parts (<see cref="MlNetPredictor"/>), took prediction from 104,000 to 235,000–249,000
/// architectures/s on this machine's two cores; the one-word nodes and integer keys took another
/// 12–17% off the walk, the feature-by-feature rows 3–7%, and native-sized node indices (no sign extension per step)
/// 11–20% more. A NaN feature goes to the second child.
/// </remarks>
internal sealed class CompiledTreeEnsemble
{
    /// <summary>Rows one <see cref="Score"/> pass walks together; a caller encoding rows in blocks of this size keeps them in the nearest cache.</summary>
    public const int BlockRows = 32;

    private const int LeafKey = int.MaxValue;

    private readonly int[] _roots;
    private readonly int[] _depths;
    // Each node as one word: bits 0-31 its threshold's key (a leaf: LeafKey), 32-47 its feature, 48-63 how far
    // after it its first child sits (a leaf: 0, so it leads to itself).
    private readonly ulong[] _nodes;
    // Each leaf node's value (times its tree's weight); 0 for a split.
    private readonly double[] _values;
    private readonly double _bias;
    // One more than the highest feature any split reads: a row needs at least this many.
    private readonly int _featuresRead;
    [ThreadStatic]
    private static int[]? s_keys;

    private CompiledTreeEnsemble(int[] roots, int[] depths, ulong[] nodes, double[] values, double bias, int featuresRead)
    {
        (_roots, _depths, _nodes, _values, _bias, _featuresRead) = (roots, depths, nodes, values, bias, featuresRead);
    }

    /// <summary>
    /// The ensemble inside a trained or loaded regression model, or null for a model that is not one, has categorical
    /// splits, or is too large for a one-word node (a feature index or a child distance beyond 65,535).
    /// </summary>
    public static CompiledTreeEnsemble? From(ITransformer model)
    {
        if (EnsembleOf(model) is not { } ensemble)
        {
            return null;
        }
        var trees = ensemble.Trees;
        var roots = new int[trees.Count];
        var depths = new int[trees.Count];
        var nodes = new List<ulong>();
        var values = new List<double>();
        int featuresRead = 0;
        for (int t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            double weight = ensemble.TreeWeights[t];
            roots[t] = nodes.Count;
            // Breadth first, each node's children given two adjacent slots. ML.NET numbers a tree's splits
            // 0.. and its leaves ~0.. (a child below zero); a tree without splits is one leaf.
            var queue = new Queue<(int Child, int Slot, int Depth)>();
            nodes.Add(default);
            values.Add(0);
            queue.Enqueue((tree.NumberOfNodes == 0 ? ~0 : 0, roots[t], 0));
            while (queue.TryDequeue(out var item))
            {
                if (item.Child < 0)
                {
                    nodes[item.Slot] = (uint)LeafKey;
                    values[item.Slot] = weight * tree.LeafValues[~item.Child];
                    depths[t] = Math.Max(depths[t], item.Depth);
                    continue;
                }
                int first = nodes.Count, feature = tree.NumericalSplitFeatureIndexes[item.Child];
                if (feature > ushort.MaxValue || first - item.Slot > ushort.MaxValue)
                {
                    return null;
                }
                featuresRead = Math.Max(featuresRead, feature + 1);
                nodes.Add(default);
                nodes.Add(default);
                values.Add(0);
                values.Add(0);
                nodes[item.Slot] = (uint)Key(tree.NumericalSplitThresholds[item.Child]) | (ulong)feature << 32 | (ulong)(first - item.Slot) << 48;
                queue.Enqueue((tree.LeftChild[item.Child], first, item.Depth + 1));
                queue.Enqueue((tree.RightChild[item.Child], first + 1, item.Depth + 1));
            }
        }
        return new CompiledTreeEnsemble(roots, depths, [.. nodes], [.. values], ensemble.Bias, featuresRead);
    }

    /// <summary>The trees of a trained or loaded FastTree or LightGbm regression model, or null for another model or one with categorical splits.</summary>
    public static RegressionTreeEnsemble? EnsembleOf(ITransformer model)
    {
        var last = model is TransformerChain<ITransformer> chain ? chain.LastTransformer : model;
        if (last is not IPredictionTransformer<TreeEnsembleModelParametersBasedOnRegressionTree> prediction)
        {
            return null;
        }
        var ensemble = prediction.Model.TrainedTreeEnsemble;
        return ensemble.Trees.Any(t => t.CategoricalSplitFlags.Any(flag => flag)) ? null : ensemble;
    }

    /// <summary>
    /// Scores rows (row-major, <paramref name="featureCount"/> features each) <see cref="BlockRows"/> at a time, tree by
    /// tree: one tree's few hundred bytes of nodes stay in the nearest cache while every row of the block walks it, where
    /// row by row all trees' nodes (hundreds of KB) pass through it for each row. Each row's score is the bias plus the
    /// trees' values in tree order, as ML.NET adds them.
    /// </summary>
    public void Score(ReadOnlySpan<float> rows, int featureCount, Span<double> scores)
    {
        int count = scores.Length;
        if (featureCount < _featuresRead || rows.Length < count * featureCount)
        {
            throw new ArgumentException(
                $"{count} rows of {featureCount} features (the trees read {_featuresRead}) need {count * featureCount} values (got {rows.Length}).", nameof(rows));
        }
        var keys = s_keys is { } kept && kept.Length >= BlockRows * featureCount ? kept : s_keys = new int[BlockRows * featureCount];
        for (int start = 0; start < count; start += BlockRows)
        {
            int block = Math.Min(BlockRows, count - start);
            for (int r = 0; r < block; r++)
            {
                var row = rows.Slice((start + r) * featureCount, featureCount);
                for (int f = 0; f < featureCount; f++)
                {
                    keys[f * BlockRows + r] = Key(row[f]);
                }
            }
            ScoreBlock(keys, scores.Slice(start, block));
        }
    }

    /// <summary>Scores up to <see cref="BlockRows"/> rows held as keys feature by feature (feature f of row r at f·BlockRows + r).</summary>
    private void ScoreBlock(int[] keys, Span<double> scores)
    {
        int count = scores.Length;
        scores.Fill(_bias);
        // Every index below is in range (a node's feature is below the row length, checked in Score; a child is a
        // node of the same tree; a leaf's value index is its node), so the walk reads through references
        // without a bounds check per load.
        ref ulong nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref double values = ref MemoryMarshal.GetArrayDataReference(_values);
        ref int first = ref MemoryMarshal.GetArrayDataReference(keys);
        ref double score = ref MemoryMarshal.GetReference(scores);
        for (int t = 0; t < _roots.Length; t++)
        {
            int root = _roots[t], depth = _depths[t];
            int r = 0;
            for (; r + 8 <= count; r += 8)
            {
                ref int lanes = ref Unsafe.Add(ref first, r);
                nint i0 = root, i1 = root, i2 = root, i3 = root, i4 = root, i5 = root, i6 = root, i7 = root;
                for (int step = 0; step < depth; step++)
                {
                    i0 = Next(ref nodes, i0, ref lanes, 0);
                    i1 = Next(ref nodes, i1, ref lanes, 1);
                    i2 = Next(ref nodes, i2, ref lanes, 2);
                    i3 = Next(ref nodes, i3, ref lanes, 3);
                    i4 = Next(ref nodes, i4, ref lanes, 4);
                    i5 = Next(ref nodes, i5, ref lanes, 5);
                    i6 = Next(ref nodes, i6, ref lanes, 6);
                    i7 = Next(ref nodes, i7, ref lanes, 7);
                }
                ref double s = ref Unsafe.Add(ref score, r);
                s += Unsafe.Add(ref values, i0);
                Unsafe.Add(ref s, 1) += Unsafe.Add(ref values, i1);
                Unsafe.Add(ref s, 2) += Unsafe.Add(ref values, i2);
                Unsafe.Add(ref s, 3) += Unsafe.Add(ref values, i3);
                Unsafe.Add(ref s, 4) += Unsafe.Add(ref values, i4);
                Unsafe.Add(ref s, 5) += Unsafe.Add(ref values, i5);
                Unsafe.Add(ref s, 6) += Unsafe.Add(ref values, i6);
                Unsafe.Add(ref s, 7) += Unsafe.Add(ref values, i7);
            }
            for (; r < count; r++)
            {
                ref int lane = ref Unsafe.Add(ref first, r);
                nint i = root;
                for (int step = 0; step < depth; step++)
                {
                    i = Next(ref nodes, i, ref lane, 0);
                }
                Unsafe.Add(ref score, r) += Unsafe.Add(ref values, i);
            }
        }
    }

    /// <summary>
    /// The node after node <paramref name="i"/> for the row in lane <paramref name="lane"/>: the first child when its
    /// feature's key is at most the threshold's, else the second; a leaf leads to itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Next(ref ulong nodes, nint i, ref int lanes, int lane)
    {
        ulong node = Unsafe.Add(ref nodes, i);
        // The feature (bits 32-47) times BlockRows in one shift and mask: BlockRows is 2^5.
        nint feature = (nint)((uint)(node >> 27) & (uint)(ushort.MaxValue * BlockRows));
        return i + (nint)(node >> 48) + (Unsafe.Add(ref lanes, feature + lane) > (int)node ? 1 : 0);
    }

    /// <summary>
    /// A float as an integer with the same order: its bits, the negative ones' magnitude bits flipped (so more negative is
    /// smaller); −0 as +0, and NaN above every number, so it goes right at every split, as ML.NET sends it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Key(float value)
    {
        if (float.IsNaN(value))
        {
            return LeafKey;
        }
        int bits = BitConverter.SingleToInt32Bits(value + 0f);
        return bits >= 0 ? bits : bits ^ int.MaxValue;
    }
}
