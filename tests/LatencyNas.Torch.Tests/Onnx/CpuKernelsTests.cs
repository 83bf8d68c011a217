using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Onnx;
using LatencyNas.Tests;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;

namespace LatencyNas.Torch.Tests.Onnx;

/// <summary>Kernel detection against the graph ONNX Runtime itself writes after optimizing, on the project's own exports.</summary>
public sealed class CpuKernelsTests
{
    public static TheoryData<string, string, GraphOptimization> Cases()
    {
        var data = new TheoryData<string, string, GraphOptimization>();
        var nb201 = Nb201Space.Instance.SampleDistinct(6, seed: 3).Select(a => a.Digits).Concat(["000000", "111111", "333333", "123401", "000002", "000012"]);
        var fbnet = FbnetSpace.Instance.SampleDistinct(4, seed: 3).Select(a => a.Digits).Concat([new string('8', 22)]);
        foreach (var level in Enum.GetValues<GraphOptimization>())
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
        byte[] model = OnnxExporter.Export(network, new OnnxExportOptions([dataset.Channels, dataset.Height, dataset.Width]));

        var kernels = CpuKernels.Detect(OnnxModelGraph.Read(model, digits), level);

        string expected = OrtOptimizedGraph.Operators(model, level), found = OrtOptimizedGraph.Counts(kernels.Select(k => k.Operator));
        Assert.True(expected == found, $"ONNX Runtime runs {expected}\nfound {found}");
    }

    /// <summary>
    /// The predictors' count of NB201's kernels from the architecture alone agrees with the detection on the exported
    /// graph (which the theory above checks against ONNX Runtime): 000002 and 000012 differ by one skip edge, and in
    /// the first the zero node folds into the convolution before it while in the second it runs plain, with reorders.
    /// </summary>
    [Fact]
    public void Nb201_kernels_counted_from_the_architecture_are_those_detected_on_its_export()
    {
        var space = Nb201Space.Instance;
        foreach (var architecture in space.SampleDistinct(80, seed: 31).Concat(new[] { "000002", "000012", "041241", "000000", "414141" }.Select(space.Parse)))
        {
            byte[] model = NetworkFactory.ExportOnnx(space, architecture, Dataset.Cifar10);
            var detected = CpuKernels.Detect(OnnxModelGraph.Read(model, architecture.Digits), GraphOptimization.All)
                .GroupBy(k => k.Label).ToDictionary(g => g.Key, g => g.Count());
            var counted = Nb201RuntimeKernels.Labels(architecture);
            Assert.True(detected.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(counted.OrderBy(p => p.Key, StringComparer.Ordinal)),
                $"{architecture.Digits}: detected {string.Join(" ", detected.OrderBy(p => p.Key, StringComparer.Ordinal))}, counted {string.Join(" ", counted.OrderBy(p => p.Key, StringComparer.Ordinal))}");
        }
        Assert.NotEqual(Nb201RuntimeKernels.Count(space.Parse("000002")), Nb201RuntimeKernels.Count(space.Parse("000012")));
    }
}
