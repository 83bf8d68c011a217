using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx;
using LatencyNas.Profiling.Devices;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Workflows.Runners;

/// <summary>
/// The ONNX bytes of every model the tool measures: a kernel configuration written directly as a
/// single-kernel graph (<see cref="KernelModels"/>), an architecture built with TorchSharp and
/// exported with the project's exporter.
/// </summary>
/// <param name="nchwcBlockSize">The channel block kernels run in on the device (1: none); see <see cref="For"/>.</param>
public sealed class ModelSource(int nchwcBlockSize = 1) : IOnnxModelSource
{
    /// <summary>Models for a device without a blocked layout.</summary>
    public static ModelSource Instance { get; } = new();

    /// <summary>
    /// The models for a device: kernels in ONNX Runtime's blocked layout on a CPU device of this
    /// machine at the <c>all</c> level, as they run inside a network there. An agent's processor is
    /// not known here: its kernels are written plain, and ONNX Runtime lays them out itself.
    /// </summary>
    public static ModelSource For(DeviceDescriptor device)
        => NchwcBlockSize(device) is var block and > 1 ? new ModelSource(block) : Instance;

    /// <summary>The channel block kernel detection follows for a device: this machine's for its CPU devices at <c>all</c>, else 1.</summary>
    public static int NchwcBlockSize(DeviceDescriptor device)
        => NchwcBlockSize(device.RuntimeName, device.Provider.ToString().ToLowerInvariant(), device.Optimization);

    /// <summary>The same rule for a device's settings as its fingerprint records them (runtime name, provider, optimization).</summary>
    public static int NchwcBlockSize(string runtime, string provider, string optimization)
        => runtime == "onnxruntime" && provider == "cpu" && optimization == "all" ? CpuKernels.LocalNchwcBlockSize : 1;

    public byte[] Export(ModelRequest request) => request.Space is KernelSpace kernels
        ? KernelModels.Build(kernels.Config(request.Architecture), request.BatchSize, request.Seed, nchwcBlockSize)
        : TorchOnnxModelSource.Instance.Export(request);
}
