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
/// node that leads to itself (threshold +∞), so every row takes exactly the tree's depth in steps;
/// and eight rows walk a tree together, their independent loads overlapping. On a million FBNet
/// architectures (600 FastTree trees, depth 11 at most, leaves at 6.8 on average) this, with the
/// batch's blocks and parts (<see cref="MlNetPredictor"/>), took prediction from 104,000 to
/// 235,000–249,000 architectures/s on this machine's two cores. Rows are
/// assumed finite: a NaN feature goes to the first child, where ML.NET sends it to the second.
/// </remarks>
internal sealed class CompiledTreeEnsemble
{
    /// <summary>One node: the feature it tests, its threshold, and where its two children start (a leaf: itself).</summary>
    private readonly record struct Node(int Feature, float Threshold, int FirstChild);

    private readonly int[] _roots;
    private readonly int[] _depths;
    private readonly Node[] _nodes;
    // Each leaf node's value (times its tree's weight); 0 for a split.
    private readonly double[] _values;
    private readonly double _bias;
    // One more than the highest feature any split reads: a row needs at least this many.
    private readonly int _featuresRead;

    private CompiledTreeEnsemble(int[] roots, int[] depths, Node[] nodes, double[] values, double bias)
    {
        (_roots, _depths, _nodes, _values, _bias) = (roots, depths, nodes, values, bias);
        _featuresRead = nodes.Length == 0 ? 0 : nodes.Max(n => n.Feature) + 1;
    }

    /// <summary>The ensemble inside a trained or loaded regression model, or null for a model that is not one (or has categorical splits).</summary>
    public static CompiledTreeEnsemble? From(ITransformer model)
    {
        if (EnsembleOf(model) is not { } ensemble)
        {
            return null;
        }
        var trees = ensemble.Trees;
        var roots = new int[trees.Count];
        var depths = new int[trees.Count];
        var nodes = new List<Node>();
        var values = new List<double>();
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
                    nodes[item.Slot] = new Node(0, float.PositiveInfinity, item.Slot);
                    values[item.Slot] = weight * tree.LeafValues[~item.Child];
                    depths[t] = Math.Max(depths[t], item.Depth);
                    continue;
                }
                int first = nodes.Count;
                nodes.Add(default);
                nodes.Add(default);
                values.Add(0);
                values.Add(0);
                nodes[item.Slot] = new Node(tree.NumericalSplitFeatureIndexes[item.Child], tree.NumericalSplitThresholds[item.Child], first);
                queue.Enqueue((tree.LeftChild[item.Child], first, item.Depth + 1));
                queue.Enqueue((tree.RightChild[item.Child], first + 1, item.Depth + 1));
            }
        }
        return new CompiledTreeEnsemble(roots, depths, [.. nodes], [.. values], ensemble.Bias);
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
    /// Scores a block of rows (row-major, <paramref name="featureCount"/> features each) tree by tree:
    /// one tree's few hundred bytes of nodes stay in the nearest cache while every row of the block
    /// walks it, where row by row all trees' nodes (hundreds of KB) pass through it for each row.
    /// Each row's score is the bias plus the trees' values in tree order, as ML.NET adds them.
    /// </summary>
    public void Score(ReadOnlySpan<float> rows, int featureCount, Span<double> scores)
    {
        int count = scores.Length;
        if (featureCount < _featuresRead || rows.Length < count * featureCount)
        {
            throw new ArgumentException(
                $"{count} rows of {featureCount} features (the trees read {_featuresRead}) need {count * featureCount} values (got {rows.Length}).", nameof(rows));
        }
        scores.Fill(_bias);
        // Every index below is in range (a node's feature is below the row length, checked above; a child is a
        // node of the same tree; a leaf's value index is its node), so the walk reads through references
        // without a bounds check per load.
        ref Node nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref double values = ref MemoryMarshal.GetArrayDataReference(_values);
        ref float first = ref MemoryMarshal.GetReference(rows);
        ref double score = ref MemoryMarshal.GetReference(scores);
        for (int t = 0; t < _roots.Length; t++)
        {
            int root = _roots[t], depth = _depths[t];
            int r = 0;
            for (; r + 8 <= count; r += 8)
            {
                ref float r0 = ref Unsafe.Add(ref first, r * featureCount);
                ref float r1 = ref Unsafe.Add(ref r0, featureCount);
                ref float r2 = ref Unsafe.Add(ref r1, featureCount);
                ref float r3 = ref Unsafe.Add(ref r2, featureCount);
                ref float r4 = ref Unsafe.Add(ref r3, featureCount);
                ref float r5 = ref Unsafe.Add(ref r4, featureCount);
                ref float r6 = ref Unsafe.Add(ref r5, featureCount);
                ref float r7 = ref Unsafe.Add(ref r6, featureCount);
                int i0 = root, i1 = root, i2 = root, i3 = root, i4 = root, i5 = root, i6 = root, i7 = root;
                for (int step = 0; step < depth; step++)
                {
                    i0 = Next(ref Unsafe.Add(ref nodes, i0), ref r0);
                    i1 = Next(ref Unsafe.Add(ref nodes, i1), ref r1);
                    i2 = Next(ref Unsafe.Add(ref nodes, i2), ref r2);
                    i3 = Next(ref Unsafe.Add(ref nodes, i3), ref r3);
                    i4 = Next(ref Unsafe.Add(ref nodes, i4), ref r4);
                    i5 = Next(ref Unsafe.Add(ref nodes, i5), ref r5);
                    i6 = Next(ref Unsafe.Add(ref nodes, i6), ref r6);
                    i7 = Next(ref Unsafe.Add(ref nodes, i7), ref r7);
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
                ref float row = ref Unsafe.Add(ref first, r * featureCount);
                int i = root;
                for (int step = 0; step < depth; step++)
                {
                    i = Next(ref Unsafe.Add(ref nodes, i), ref row);
                }
                Unsafe.Add(ref score, r) += Unsafe.Add(ref values, i);
            }
        }
    }

    /// <summary>The child a row goes to: the first when its feature is at most the threshold, else the second; a leaf leads to itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Next(ref Node node, ref float row)
        => node.FirstChild + (Unsafe.Add(ref row, node.Feature) > node.Threshold ? 1 : 0);
}
