namespace LatencyNas.Torch.Onnx;

/// <summary>
/// A composite module that writes its own forward computation into an ONNX graph, emitting its
/// children through <see cref="OnnxGraphBuilder.Emit"/>. Standard TorchSharp layers need not
/// implement it: the builder knows them.
/// </summary>
public interface IOnnxExportable
{
    /// <returns>The name of the graph value holding the module's output.</returns>
    string ExportOnnx(OnnxGraphBuilder graph, string input);
}
