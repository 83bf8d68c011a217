using LatencyNas.Tests;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Kernels;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatencyNas.Onnx.Tests;

/// <summary>The single-kernel models profile-kernels measures: what they compute, and that each is the one kernel it stands for.</summary>
public sealed class KernelModelsTests
{
    public static TheoryData<string, string> Members()
    {
        var data = new TheoryData<string, string>();
        foreach (var space in KernelSpace.All)
        {
            foreach (var member in space.SampleDistinct(6, seed: 4))
            {
                data.Add(space.Name, member.Digits);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Members))]
    public void A_kernel_model_runs_with_its_configuration_s_output_and_is_one_kernel(string spaceName, string digits)
    {
        var space = (KernelSpace)SearchSpaces.Get(spaceName);
        var config = space.Config(space.FromDigits(digits));
        byte[] model = KernelModels.Build(config);

        using var session = new InferenceSession(model);
        var inputs = session.InputMetadata.Select(input => NamedOnnxValue.CreateFromTensor(input.Key,
            new DenseTensor<float>(input.Value.Dimensions))).ToList();
        using var results = session.Run(inputs);
        long[] shape = results.Single().AsTensor<float>().Dimensions.ToArray().Select(d => (long)d).ToArray();
        long[] expected = config.Kind == KernelKind.Gemm ? [1, config.OutputChannels] : [1, config.OutputChannels, config.OutputResolution, config.OutputResolution];
        Assert.Equal(expected, shape);

        var kernels = CpuKernels.Detect(OnnxModelGraph.Read(model, space.Format(space.FromDigits(digits))), GraphOptimization.Extended);
        int expectedKernels = config.Kind == KernelKind.Elementwise && config.Variant == KernelSpace.AddRelu ? 2 : 1;
        Assert.Equal(expectedKernels, kernels.Count);
        Assert.Equal(config.Kind, KernelConfigsKind(kernels[0]));
    }

    public static TheoryData<string, string> BlockedMembers()
    {
        var data = new TheoryData<string, string>();
        foreach (var space in new[] { KernelSpace.Conv, KernelSpace.DepthwiseConv, KernelSpace.Pool })
        {
            foreach (var member in space.SampleDistinct(5, seed: 5))
            {
                data.Add(space.Name, member.Digits);
            }
        }
        data.Add(KernelSpace.Elementwise.Name, "346");
        data.Add(KernelSpace.Elementwise.Name, "357");
        data.Add(KernelSpace.Conv.Name, "300010");
        return data;
    }

    /// <summary>
    /// For a device laying channels out in blocks, a kernel model is what ONNX Runtime runs inside a
    /// network: its optimized graph is the model's one node, with no reorder added around it.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(BlockedMembers))]
    public void A_blocked_kernel_model_is_the_one_node_onnx_runtime_runs(string spaceName, string digits)
    {
        int block = CpuKernels.LocalNchwcBlockSize;
        Skip.If(block <= 1, "ONNX Runtime lays out no channel blocks on this processor.");
        var space = (KernelSpace)SearchSpaces.Get(spaceName);
        var config = space.Config(space.FromDigits(digits));
        byte[] model = KernelModels.Build(config, nchwcBlockSize: block);

        string written = OrtOptimizedGraph.Counts(Proto.ModelProto.Parser.ParseFrom(model).Graph.Node.Select(n => n.Domain.Length > 0 ? $"{n.Domain}:{n.OpType}" : n.OpType));
        Assert.Equal(written, OrtOptimizedGraph.Operators(model, GraphOptimization.All));
        Assert.Single(Proto.ModelProto.Parser.ParseFrom(model).Graph.Node);
        using var session = new InferenceSession(model);
        var inputs = session.InputMetadata.Select(input => NamedOnnxValue.CreateFromTensor(input.Key, new DenseTensor<float>(input.Value.Dimensions))).ToList();
        using var results = session.Run(inputs);
        Assert.Equal(config.OutputResolution, results.Single().AsTensor<float>().Dimensions[^1]);
    }

    [Fact]
    public void Every_sampled_convolution_holds_at_most_the_weight_cap_in_channels_of_eight()
    {
        foreach (var member in KernelSpace.Conv.Enumerate())
        {
            var c = KernelSpace.Conv.Config(member);
            Assert.True((long)c.InputChannels * c.OutputChannels * c.Kernel * c.Kernel <= KernelSpace.MaxConvWeights, KernelSpace.Conv.Format(member));
            Assert.True(c.InputChannels == 3 || c.InputChannels % 8 == 0, KernelSpace.Conv.Format(member));
            Assert.Equal(0, c.OutputChannels % 8);
        }
    }

    /// <summary>The kind a detected kernel's operator belongs to.</summary>
    private static KernelKind KernelConfigsKind(Kernel kernel) => kernel.Anchor.OpType switch
    {
        "Conv" when kernel.Anchor.Int("group", 1) > 1 => KernelKind.DepthwiseConv,
        "Conv" => KernelKind.Conv,
        "Gemm" => KernelKind.Gemm,
        "AveragePool" or "MaxPool" or "GlobalAveragePool" => KernelKind.Pool,
        _ => KernelKind.Elementwise,
    };
}
