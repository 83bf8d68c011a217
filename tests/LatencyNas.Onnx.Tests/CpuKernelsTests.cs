using LatencyNas.Tests;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatencyNas.Onnx.Tests;

/// <summary>Kernel detection on well-known CNNs nobody here designed, against the graph ONNX Runtime writes after its own rewrites.</summary>
public sealed class CpuKernelsTests
{
    public static TheoryData<string, GraphOptimization> Cases()
    {
        var data = new TheoryData<string, GraphOptimization>();
        foreach (string name in ReferenceModels.Names)
        {
            foreach (var level in Enum.GetValues<GraphOptimization>())
            {
                data.Add(name, level);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_kernels_found_are_the_nodes_onnx_runtime_runs_after_its_rewrites(string name, GraphOptimization level)
    {
        byte[] model = ReferenceModels.Build(name, resolution: 160);

        var kernels = CpuKernels.Detect(OnnxModelGraph.Read(model, name), level);

        string expected = OrtOptimizedGraph.Operators(model, level), found = OrtOptimizedGraph.Counts(kernels.Select(k => k.Operator));
        Assert.True(expected == found, $"ONNX Runtime runs {expected}\nfound {found}");
    }

    public static TheoryData<string, int> ModelsAndSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (var (name, i) in ReferenceModels.Names.Select((n, i) => (n, i)))
        {
            data.Add(name, i % 2 == 0 ? 224 : 160);
        }
        return data;
    }

    /// <summary>The shapes read from the model are those ONNX Runtime computes, to the last layer, at a batch of 2.</summary>
    [Theory]
    [MemberData(nameof(ModelsAndSizes))]
    public void A_reference_model_reads_with_the_shapes_onnx_runtime_computes(string name, int resolution)
    {
        byte[] model = ReferenceModels.Build(name, resolution);

        var read = OnnxModelGraph.Read(model, name, batch: 2);

        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(new float[2 * 3 * resolution * resolution], [2, 3, resolution, resolution]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        Assert.Equal(results.Single().AsTensor<float>().Dimensions.ToArray().Select(d => (long)d), read.Shapes["logits"]);
        Assert.Equal([2L, 1000], read.Shapes["logits"]);
    }
}
