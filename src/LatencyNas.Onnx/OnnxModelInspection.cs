using LatencyNas.Onnx.Proto;

namespace LatencyNas.Onnx;

/// <summary>What an ONNX model (ours or another exporter's) is made of.</summary>
public static class OnnxModelInspection
{
    /// <returns>The number of graph nodes of each operator type.</returns>
    /// <exception cref="Google.Protobuf.InvalidProtocolBufferException">The bytes are not an ONNX model.</exception>
    public static IReadOnlyDictionary<string, int> OperatorCounts(byte[] model)
        => ModelProto.Parser.ParseFrom(model).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
