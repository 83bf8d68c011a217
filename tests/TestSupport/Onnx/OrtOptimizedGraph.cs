using LatencyNas.Onnx;
using LatencyNas.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace LatencyNas.Tests;

/// <summary>What ONNX Runtime itself runs for a model: the nodes of the graph it writes after its rewrites, as kernel detection is checked against.</summary>
internal static class OrtOptimizedGraph
{
    /// <summary>The operators of ONNX Runtime's optimized graph and how often each occurs, as one line (see <see cref="Counts"/>).</summary>
    public static string Operators(byte[] model, GraphOptimization level)
    {
        using var directory = new TempDirectory();
        string optimized = directory.File("optimized.onnx");
        using (var options = new SessionOptions { OptimizedModelFilePath = optimized, GraphOptimizationLevel = Level(level), IntraOpNumThreads = 1 })
        using (new InferenceSession(model, options))
        {
        }
        return Counts(ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.Domain.Length > 0 ? $"{n.Domain}:{n.OpType}" : n.OpType));
    }

    /// <summary>Operators and how often each occurs, as one line that shows every difference when two disagree.</summary>
    public static string Counts(IEnumerable<string> operators)
        => string.Join(", ", operators.GroupBy(o => o).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));

    private static GraphOptimizationLevel Level(GraphOptimization level) => level switch
    {
        GraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
        GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
}
