using System.Runtime.InteropServices;
using LatencyNas.Core.Measurements;

namespace LatencyNas.Torch.Networks;

/// <summary>Builds each requested network with TorchSharp and exports it with the project's ONNX exporter.</summary>
/// <remarks>
/// Building runs on one libtorch thread, so model preparation occupies at most the one core a
/// single-threaded measurement leaves free.
/// </remarks>
public sealed class TorchOnnxModelSource : IOnnxModelSource
{
    private TorchOnnxModelSource() => TorchSharp.torch.set_num_threads(1);

    public static TorchOnnxModelSource Instance => Lazy.Value;

    private static readonly Lazy<TorchOnnxModelSource> Lazy = new(() => new TorchOnnxModelSource());

    /// <remarks>
    /// A build that fails inside libtorch is tried once more: about one in a few thousand fails with an error the
    /// same network does not give again ("For integral input tensors, argument alpha must not be a floating point
    /// number"). A network that cannot be built fails twice.
    /// </remarks>
    public byte[] Export(ModelRequest request)
    {
        try
        {
            return NetworkFactory.ExportOnnx(request.Space, request.Architecture, request.Dataset, request.BatchSize, request.Seed);
        }
        catch (ExternalException)
        {
            return NetworkFactory.ExportOnnx(request.Space, request.Architecture, request.Dataset, request.BatchSize, request.Seed);
        }
    }
}
