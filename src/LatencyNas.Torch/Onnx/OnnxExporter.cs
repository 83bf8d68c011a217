using LatencyNas.Onnx;
using LatencyNas.Onnx.Proto;
using TorchSharp;

namespace LatencyNas.Torch.Onnx;

/// <summary>What the exported graph looks like from the outside.</summary>
/// <param name="InputShape">Shape of one input item without the batch dimension, e.g. [3, 32, 32].</param>
/// <param name="BatchSize">The batch dimension declared for the input; at least 1.</param>
/// <param name="InputName">Name of the graph input.</param>
/// <param name="OutputName">Name of the graph output.</param>
/// <param name="OutputShape">Shape of one output item without the batch dimension, e.g. [10]; null: found by one pass over a zero input.</param>
public sealed record OnnxExportOptions(
    IReadOnlyList<long> InputShape, int BatchSize = 1, string InputName = "input", string OutputName = "logits", IReadOnlyList<long>? OutputShape = null)
{
    /// <summary>The ONNX operator set the exporter writes (every op it emits is unchanged since opset 13 or earlier).</summary>
    public const int OpsetVersion = 17;

    /// <summary>IR version 8 is the one that goes with opset 17.</summary>
    public const int IrVersion = 8;

    public IReadOnlyList<long> FullInputShape => [BatchSize, .. InputShape];
}

/// <summary>
/// Writes a TorchSharp module (in eval mode) as an ONNX model: walks the module tree, turns each
/// layer into ONNX nodes and each parameter or running statistic into an initializer.
/// </summary>
public static class OnnxExporter
{
    public static byte[] Export(torch.nn.Module<torch.Tensor, torch.Tensor> module, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        if (module.training)
        {
            throw new InvalidOperationException("Export needs the module in eval mode (call eval()): training-mode BatchNorm uses batch statistics.");
        }

        var graph = new OnnxGraph(module.GetName());
        graph.Input(options.InputName, TensorProto.Types.DataType.Float, [.. options.FullInputShape.Cast<object>()]);
        var builder = new OnnxGraphBuilder(graph, module);
        string output;
        long[] outputShape;
        using (torch.no_grad())
        {
            output = builder.Emit(module, options.InputName);
            if (options.OutputShape is { } itemShape)
            {
                outputShape = [options.BatchSize, .. itemShape];
            }
            else
            {
                // A valid model declares its output's shape; without it from the caller, one pass over a zero input tells.
                using var probe = torch.zeros([.. options.FullInputShape]);
                using var result = module.forward(probe);
                outputShape = result.shape;
            }
        }
        // The last node writes the graph output under its public name.
        graph.Rename(output, options.OutputName);
        graph.Output(options.OutputName, TensorProto.Types.DataType.Float, [.. outputShape.Cast<object>()]);
        return graph.ToModel(OnnxExportOptions.IrVersion, new Dictionary<string, int> { [""] = OnnxExportOptions.OpsetVersion },
            typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0");
    }
}
