using LatencyNas.Core.Spaces;
using LatencyNas.Onnx;
using LatencyNas.Onnx.Proto;
using Microsoft.ML.Trainers.FastTree;
using static LatencyNas.Onnx.OnnxGraph;
using DataType = LatencyNas.Onnx.Proto.TensorProto.Types.DataType;

namespace LatencyNas.Prediction;

/// <summary>
/// Writes a trained predictor as a standalone ONNX model that computes what
/// <see cref="LatencyPredictor.Predict(IReadOnlyList{Architecture})"/> computes, feature encoding
/// included. Input <see cref="InputName"/>: int64 [N, L], one choice index per decision in the
/// order of the digits form. Output <see cref="OutputName"/>: float [N], milliseconds.
/// </summary>
/// <remarks>
/// The graph, in double precision like the native path:
/// <list type="bullet">
/// <item>the additive model: each decision's weight gathered by its choice, summed, plus the bias;</item>
/// <item>tree models: the one-hot block (a scatter of ones), the analytic features (a table row
/// looked up by the member's position, or a base plus a per-choice sum rounded to float as the
/// encoder rounds it), the trees as <c>ai.onnx.ml</c> <c>TreeEnsembleRegressor</c> on double input
/// (ONNX Runtime then compares and sums in double, as the native walk does), then the additive
/// base's prediction (its logarithm on a log target) added;</item>
/// <item>then the exponential on a log target, and the latency floor.</item>
/// </list>
/// Operator sets: <c>ai.onnx</c> 17 and <c>ai.onnx.ml</c> 3, which ONNX 1.12 and every ONNX
/// Runtime since 1.12 know.
/// </remarks>
public static class PredictorOnnxExporter
{
    public const string InputName = "architectures";
    public const string OutputName = "latency_ms";
    public const int OpsetVersion = 17;
    public const int MlOpsetVersion = 3;
    public const int IrVersion = 8;

    /// <summary>Whether the predictor can be exported, and if not, why.</summary>
    public static string? WhyNotExportable(LatencyPredictor predictor) => predictor switch
    {
        _ when !predictor.Space.EncodesChoices => $"a {predictor.Space.Name} predictor takes kernel configurations, not architectures",
        AdditivePredictor { FeatureWeights: not null, Encoder.AnalyticForm: AnalyticFeatureForm.Direct } additive
            => $"the {additive.Space.Name} space's analytic features neither fit a table nor add up over decisions",
        AdditivePredictor => null,
        MlNetPredictor { } trees when CompiledTreeEnsemble.EnsembleOf(trees.Model) is null
            => "its ML.NET model is not a regression tree ensemble without categorical splits",
        MlNetPredictor { Encoder.AnalyticForm: AnalyticFeatureForm.Direct } trees
            => $"the {trees.Space.Name} space's analytic features neither fit a table nor add up over decisions",
        MlNetPredictor => null,
        _ => $"a {predictor.GetType().Name} has no ONNX form",
    };

    /// <param name="metadata">Written as the model's metadata properties.</param>
    /// <exception cref="NotSupportedException">The predictor cannot be exported (<see cref="WhyNotExportable"/>).</exception>
    public static byte[] Export(LatencyPredictor predictor, IReadOnlyDictionary<string, string> metadata)
    {
        if (WhyNotExportable(predictor) is { } reason)
        {
            throw new NotSupportedException($"This predictor cannot be exported to ONNX: {reason}.");
        }
        var encoder = predictor.Encoder;
        var graph = new OnnxGraph($"latnas_{predictor.Space.Name}_predictor");
        graph.Input(InputName, DataType.Int64, "N", encoder.Space.Decisions.Count);
        string columns = graph.Node("Add", [InputName, graph.Int64Constant(encoder.Offsets.Select(o => (long)o).ToArray())], "one_hot_columns");

        string latency = predictor switch
        {
            AdditivePredictor additive => AdditiveSum(graph, additive, columns, "additive"),
            MlNetPredictor trees => TreeScore(graph, trees, columns),
            _ => throw new NotSupportedException(),
        };
        if (predictor.Target == TargetTransform.Log)
        {
            latency = graph.Node("Exp", [latency], "target");
        }
        latency = graph.Node("Max", [latency, Scalar(graph, "floor_ms", predictor.FloorMs)], "floor");
        latency = graph.Node("Cast", [latency], "output", Attribute("to", (long)DataType.Float));
        graph.Rename(latency, OutputName);
        graph.Output(OutputName, DataType.Float, "N");
        return graph.ToModel(IrVersion, new Dictionary<string, int> { [""] = OpsetVersion, ["ai.onnx.ml"] = MlOpsetVersion },
            typeof(PredictorOnnxExporter).Assembly.GetName().Version?.ToString() ?? "0", metadata);
    }

    /// <summary>Architectures as the exported model's input: row-major int64 [N, L].</summary>
    public static long[] Encode(IReadOnlyList<Architecture> architectures, int decisions)
    {
        var input = new long[architectures.Count * decisions];
        for (int i = 0; i < architectures.Count; i++)
        {
            for (int d = 0; d < decisions; d++)
            {
                input[i * decisions + d] = architectures[i][d];
            }
        }
        return input;
    }

    /// <summary>Σ weight[column] + bias over the decisions, on the model's own scale: double [N].</summary>
    private static string AdditiveSum(OnnxGraph graph, AdditivePredictor additive, string columns, string hint)
    {
        string weights = graph.Initializer(hint + ".weights", additive.Weights.ToArray(), additive.Weights.Count);
        string perDecision = graph.Node("Gather", [weights, columns], hint);
        string sum = graph.Node("ReduceSum", [perDecision, graph.Int64Constant([1])], hint, Attribute("keepdims", 0L));
        if (additive.FeatureWeights is { } featureWeights)
        {
            string features = AnalyticFeatures(graph, additive.Encoder, columns);
            string featureSum = graph.Node("MatMul", [features, graph.Initializer(hint + ".feature_weights", featureWeights.ToArray(), featureWeights.Count)], hint);
            sum = graph.Node("Add", [sum, featureSum], hint);
        }
        return graph.Node("Add", [sum, Scalar(graph, hint + ".bias", additive.Bias)], hint);
    }

    private static string TreeScore(OnnxGraph graph, MlNetPredictor trees, string columns)
    {
        var encoder = trees.Encoder;
        string features = graph.Node("Concat", [OneHot(graph, encoder, columns), AnalyticFeatures(graph, encoder, columns)], "features",
            Attribute("axis", 1L));
        var ensemble = CompiledTreeEnsemble.EnsembleOf(trees.Model)!;
        string score = graph.Node("ai.onnx.ml", "TreeEnsembleRegressor", [features], "trees", TreeAttributes(ensemble));
        // ML.NET reports its score as a float; so does the regressor. The rest is in double.
        score = graph.Node("Cast", [score], "trees", Attribute("to", (long)DataType.Double));
        score = graph.Node("Squeeze", [score, graph.Int64Constant([1])], "trees");
        if (trees.Base is { } baseModel)
        {
            string offset = graph.Node("Max", [AdditiveSum(graph, baseModel, columns, "base"), Scalar(graph, "base.floor_ms", baseModel.FloorMs)], "base");
            if (trees.Target == TargetTransform.Log)
            {
                offset = graph.Node("Log", [offset], "base");
            }
            score = graph.Node("Add", [score, offset], "trees_on_base");
        }
        return score;
    }

    /// <summary>The one-hot block, double [N, H]: ones scattered at each decision's column.</summary>
    private static string OneHot(OnnxGraph graph, FeatureEncoder encoder, string columns)
    {
        string batch = graph.Node("Shape", [InputName], "one_hot", Attribute("start", 0L), Attribute("end", 1L));
        string shape = graph.Node("Concat", [batch, graph.Int64Constant([encoder.OneHotLength])], "one_hot", Attribute("axis", 0L));
        string zeros = graph.Node("ConstantOfShape", [shape], "one_hot", TensorAttribute("value", [0.0]));
        string ones = graph.Node("ConstantOfShape", [graph.Node("Shape", [InputName], "one_hot")], "one_hot", TensorAttribute("value", [1.0]));
        return graph.Node("ScatterElements", [zeros, columns, ones], "one_hot", Attribute("axis", 1L));
    }

    /// <summary>The analytic features, double [N, F], each a float value as <see cref="FeatureEncoder.Full"/> gives it.</summary>
    private static string AnalyticFeatures(OnnxGraph graph, FeatureEncoder encoder, string columns)
    {
        var analytic = encoder.Analytic;
        if (analytic.Form == AnalyticFeatureForm.Tabulated)
        {
            var strides = new long[analytic.Radices.Length];
            long stride = 1;
            for (int d = strides.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= analytic.Radices[d];
            }
            string positions = graph.Node("Mul", [InputName, graph.Int64Constant(strides)], "position");
            positions = graph.Node("ReduceSum", [positions, graph.Int64Constant([1])], "position", Attribute("keepdims", 0L));
            string table = graph.Initializer("analytic.table", analytic.Table, stride, analytic.Length);
            string rows = graph.Node("Gather", [table, positions], "analytic");
            return graph.Node("Cast", [rows], "analytic", Attribute("to", (long)DataType.Double));
        }
        string deltas = graph.Initializer("analytic.deltas", analytic.Deltas, encoder.OneHotLength, analytic.Length);
        string sum = graph.Node("MatMul", [OneHot(graph, encoder, columns), deltas], "analytic");
        sum = graph.Node("Add", [sum, graph.Initializer("analytic.base", analytic.Base, analytic.Length)], "analytic");
        string rounded = graph.Node("Cast", [sum], "analytic", Attribute("to", (long)DataType.Float));
        return graph.Node("Cast", [rounded], "analytic", Attribute("to", (long)DataType.Double));
    }

    /// <summary>
    /// The ensemble as <c>TreeEnsembleRegressor</c> attributes. In tree t, split n keeps its id n and
    /// leaf l gets id (splits + l); a split sends a row to its true branch (ML.NET's left child) when
    /// the feature is at most the threshold. A leaf's weight is its value times the tree's weight.
    /// </summary>
    private static AttributeProto[] TreeAttributes(RegressionTreeEnsemble ensemble)
    {
        var treeIds = new List<long>();
        var nodeIds = new List<long>();
        var featureIds = new List<long>();
        var modes = new List<string>();
        var thresholds = new List<double>();
        var trueIds = new List<long>();
        var falseIds = new List<long>();
        var targetTrees = new List<long>();
        var targetNodes = new List<long>();
        var targetWeights = new List<double>();
        for (int t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            int splits = tree.NumberOfNodes;
            long Id(int child) => child >= 0 ? child : splits + ~child;
            for (int n = 0; n < splits; n++)
            {
                treeIds.Add(t);
                nodeIds.Add(n);
                featureIds.Add(tree.NumericalSplitFeatureIndexes[n]);
                modes.Add("BRANCH_LEQ");
                thresholds.Add(tree.NumericalSplitThresholds[n]);
                trueIds.Add(Id(tree.LeftChild[n]));
                falseIds.Add(Id(tree.RightChild[n]));
            }
            for (int l = 0; l < tree.NumberOfLeaves; l++)
            {
                treeIds.Add(t);
                nodeIds.Add(splits + l);
                featureIds.Add(0);
                modes.Add("LEAF");
                thresholds.Add(0);
                trueIds.Add(0);
                falseIds.Add(0);
                targetTrees.Add(t);
                targetNodes.Add(splits + l);
                targetWeights.Add(ensemble.TreeWeights[t] * tree.LeafValues[l]);
            }
        }
        return
        [
            Attribute("nodes_treeids", treeIds),
            Attribute("nodes_nodeids", nodeIds),
            Attribute("nodes_featureids", featureIds),
            Attribute("nodes_modes", modes),
            TensorAttribute("nodes_values_as_tensor", thresholds.ToArray()),
            Attribute("nodes_truenodeids", trueIds),
            Attribute("nodes_falsenodeids", falseIds),
            Attribute("target_treeids", targetTrees),
            Attribute("target_nodeids", targetNodes),
            Attribute("target_ids", new long[targetNodes.Count]),
            TensorAttribute("target_weights_as_tensor", targetWeights.ToArray()),
            TensorAttribute("base_values_as_tensor", [ensemble.Bias]),
            Attribute("n_targets", 1L),
            Attribute("aggregate_function", "SUM"),
            Attribute("post_transform", "NONE"),
        ];
    }

    private static string Scalar(OnnxGraph graph, string hint, double value) => graph.Initializer(hint, [value]);
}
