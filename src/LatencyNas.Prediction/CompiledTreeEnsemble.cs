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
internal sealed class CompiledTreeEnsemble
{
    /// <summary>One split: its feature, threshold and two children side by side.</summary>
    private readonly record struct Node(int Feature, float Threshold, int Left, int Right);

    // Node n of tree t sits at index Roots[t] + n. A child below zero is the leaf ~child of that tree,
    // at index LeafStarts[t] + ~child of LeafValues.
    private readonly int[] _roots;
    private readonly int[] _leafStarts;
    private readonly Node[] _nodes;
    private readonly double[] _leafValues;
    private readonly double _bias;

    private CompiledTreeEnsemble(int[] roots, int[] leafStarts, Node[] nodes, double[] leafValues, double bias)
    {
        (_roots, _leafStarts, _nodes, _leafValues, _bias) = (roots, leafStarts, nodes, leafValues, bias);
    }

    /// <summary>The ensemble inside a trained or loaded regression model, or null for a model that is not one (or has categorical splits).</summary>
    public static CompiledTreeEnsemble? From(ITransformer model)
    {
        if (EnsembleOf(model) is not { } ensemble)
        {
            return null;
        }
        var trees = ensemble.Trees;
        int nodes = trees.Sum(t => t.NumberOfNodes), leaves = trees.Sum(t => t.NumberOfLeaves);
        var roots = new int[trees.Count];
        var leafStarts = new int[trees.Count];
        var packed = new Node[nodes];
        var leafValues = new double[leaves];
        int node = 0, leaf = 0;
        for (int t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            double weight = ensemble.TreeWeights[t];
            (roots[t], leafStarts[t]) = (node, leaf);
            for (int n = 0; n < tree.NumberOfNodes; n++, node++)
            {
                packed[node] = new Node(tree.NumericalSplitFeatureIndexes[n], tree.NumericalSplitThresholds[n], tree.LeftChild[n], tree.RightChild[n]);
            }
            for (int l = 0; l < tree.NumberOfLeaves; l++, leaf++)
            {
                leafValues[leaf] = weight * tree.LeafValues[l];
            }
        }
        return new CompiledTreeEnsemble(roots, leafStarts, packed, leafValues, ensemble.Bias);
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
    /// </summary>
    public void Score(ReadOnlySpan<float> rows, int featureCount, Span<double> scores)
    {
        int count = scores.Length;
        scores.Fill(_bias);
        for (int t = 0; t < _roots.Length; t++)
        {
            int root = _roots[t];
            int leafStart = _leafStarts[t];
            if (root == (t + 1 < _roots.Length ? _roots[t + 1] : _nodes.Length))
            {
                // A tree of one leaf has no nodes: its next tree's root equals its own.
                double value = _leafValues[leafStart];
                for (int r = 0; r < count; r++)
                {
                    scores[r] += value;
                }
                continue;
            }
            for (int r = 0; r < count; r++)
            {
                var features = rows.Slice(r * featureCount, featureCount);
                int child = 0;
                while (child >= 0)
                {
                    ref readonly var node = ref _nodes[root + child];
                    child = features[node.Feature] <= node.Threshold ? node.Left : node.Right;
                }
                scores[r] += _leafValues[leafStart + ~child];
            }
        }
    }
}
