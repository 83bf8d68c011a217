using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Onnx;
using LatencyNas.Onnx.Proto;
using LatencyNas.Tests;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace LatencyNas.Torch.Tests.Onnx;

/// <summary>Kernel detection against the graph ONNX Runtime itself writes after optimizing, on the project's own exports.</summary>
public sealed class CpuKernelsTests
{
    public static TheoryData<string, string, GraphOptimization> Cases()
    {
        var data = new TheoryData<string, string, GraphOptimization>();
        var nb201 = Nb201Space.Instance.SampleDistinct(6, seed: 3).Select(a => a.Digits).Concat(["000000", "111111", "333333", "123401"]);
        var fbnet = FbnetSpace.Instance.SampleDistinct(4, seed: 3).Select(a => a.Digits).Concat([new string('8', 22)]);
        foreach (var level in new[] { GraphOptimization.Disabled, GraphOptimization.Basic, GraphOptimization.Extended })
        {
            foreach (string digits in nb201)
            {
                data.Add("nb201", digits, level);
            }
            foreach (string digits in fbnet)
            {
                data.Add("fbnet", digits, level);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_kernels_found_are_the_nodes_onnx_runtime_runs_after_its_rewrites(string space, string digits, GraphOptimization level)
    {
        var searchSpace = SearchSpaces.Get(space);
        var dataset = searchSpace.Datasets[0];
        using var network = NetworkFactory.Create(searchSpace, searchSpace.FromDigits(digits), dataset);
        byte[] model = OnnxExporter.Export(network, new OnnxExportOptions([dataset.Channels, dataset.Resolution, dataset.Resolution]));
        using var directory = new TempDirectory();
        string optimized = directory.File("optimized.onnx");
        using (var options = new SessionOptions { OptimizedModelFilePath = optimized, GraphOptimizationLevel = Level(level), IntraOpNumThreads = 1 })
        using (new InferenceSession(model, options))
        {
        }

        var kernels = CpuKernels.Detect(OnnxModelGraph.Read(model, digits), level);

        var expected = Counts(ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.Domain.Length > 0 ? $"{n.Domain}:{n.OpType}" : n.OpType));
        var found = Counts(kernels.Select(k => k.Operator));
        Assert.Equal(expected, found);
    }

    private static SortedDictionary<string, int> Counts(IEnumerable<string> operators)
        => new(operators.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal);

    private static GraphOptimizationLevel Level(GraphOptimization level) => level switch
    {
        GraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
        GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        _ => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    };
}
