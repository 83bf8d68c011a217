using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Workflows.Runners;

/// <summary>
/// The ONNX bytes of every model the tool measures: a kernel configuration written directly as a
/// single-kernel graph (<see cref="KernelModels"/>), an architecture built with TorchSharp and
/// exported with the project's exporter.
/// </summary>
public sealed class ModelSource : IOnnxModelSource
{
    public static ModelSource Instance { get; } = new();

    public byte[] Export(ModelRequest request) => request.Space is KernelSpace kernels
        ? KernelModels.Build(kernels.Config(request.Architecture), request.BatchSize, request.Seed)
        : TorchOnnxModelSource.Instance.Export(request);
}
