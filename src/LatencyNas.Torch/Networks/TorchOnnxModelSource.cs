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

    public byte[] Export(ModelRequest request)
        => NetworkFactory.ExportOnnx(request.Space, request.Architecture, request.Dataset, request.BatchSize, request.Seed);
}
