using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx;
using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

public sealed class KernelConfigsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>
    /// RegNetX-400MF's grouped 3×3 convolutions (group width 16) are predicted as ONNX Runtime runs them: one convolution per
    /// group, of the group's channels in and out, whose MACs add up to the whole's. A dense convolution of the same MACs (the
    /// whole's input channels per group, all its output channels) runs faster than the groups do, which under-predicted the model.
    /// </summary>
    [Theory]
    [InlineData(GraphOptimization.Extended, 1)]
    [InlineData(GraphOptimization.All, 8)]
    public async Task A_grouped_convolution_is_predicted_as_one_convolution_per_group(GraphOptimization level, int block)
    {
        string path = _directory.File("regnetx.onnx");
        await File.WriteAllBytesAsync(path, ReferenceModels.Build("regnetx-400mf", 224));
        var model = OnnxModelGraph.Read(path);
        var kernels = CpuKernels.Detect(model, level, block);

        var grouped = kernels.Where(k => KernelConfigs.Groups(model, k) > 1).ToList();
        Assert.Equal(1 + 2 + 7 + 12, grouped.Count); // one per block
        foreach (var kernel in grouped)
        {
            int groups = KernelConfigs.Groups(model, kernel);
            var convolutions = KernelConfigs.Parts(model, kernel, block).Where(c => c.Kind == KernelKind.Conv).ToList();
            Assert.Equal(groups, convolutions.Count);
            Assert.All(convolutions, c => Assert.Equal((16, 16), (c.InputChannels, c.OutputChannels)));
            Assert.Equal(kernel.Operations, convolutions.Sum(c => c.Macs), (double)kernel.Operations * 1e-9);
        }
        var dense = kernels.First(k => k.Anchor.OpType == "Conv" && KernelConfigs.Groups(model, k) == 1);
        Assert.Single(KernelConfigs.Parts(model, dense, block), c => c.Kind == KernelKind.Conv);
    }
}
