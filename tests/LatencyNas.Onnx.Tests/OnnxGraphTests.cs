using LatencyNas.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static LatencyNas.Onnx.OnnxGraph;

namespace LatencyNas.Onnx.Tests;

public sealed class OnnxGraphTests
{
    [Fact]
    public void A_computation_written_twice_is_one_node_and_equal_constants_one_initializer()
    {
        var graph = new OnnxGraph("g");
        graph.Input("x", TensorProto.Types.DataType.Float, "N", 4);

        string first = graph.Node("Relu", ["x"], "a");
        string second = graph.Node("Relu", ["x"], "b");
        string other = graph.Node("Reshape", [first, graph.Int64Constant([0, 2, 2])], "c");
        string again = graph.Node("Reshape", [first, graph.Int64Constant([0, 2, 2])], "d");

        Assert.Equal(first, second);
        Assert.Equal(other, again);
        Assert.Equal(2, graph.Proto.Node.Count);
        Assert.Single(graph.Proto.Initializer);
        Assert.Equal([0L, 2, 2], graph.Proto.Initializer[0].Int64Data);
    }

    /// <summary>A gather-and-sum graph over a symbolic batch, with a double table and an ai.onnx.ml-free opset, run in ONNX Runtime.</summary>
    [Fact]
    public void A_written_model_runs_in_onnx_runtime_for_any_batch_size_and_carries_its_metadata()
    {
        var graph = new OnnxGraph("sum_of_choices");
        graph.Input("choices", TensorProto.Types.DataType.Int64, "N", 3);
        string table = graph.Initializer("table", [0.5, 1.25, 2.0, 4.0], 4);
        string gathered = graph.Node("Gather", [table, "choices"], "sum");
        string sum = graph.Node("ReduceSum", [gathered, graph.Int64Constant([1])], "sum", Attribute("keepdims", 0L));
        string output = graph.Node("Cast", [sum], "out", Attribute("to", (long)TensorProto.Types.DataType.Float));
        graph.Rename(output, "total");
        graph.Output("total", TensorProto.Types.DataType.Float, "N");
        byte[] model = graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "test", new Dictionary<string, string> { ["purpose"] = "test" });

        using var session = new InferenceSession(model);
        Assert.Equal("test", session.ModelMetadata.CustomMetadataMap["purpose"]);
        foreach (int batch in new[] { 1, 3 })
        {
            var input = new DenseTensor<long>(Enumerable.Range(0, batch * 3).Select(i => (long)(i % 4)).ToArray(), [batch, 3]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("choices", input)]);
            float[] totals = results.Single().AsEnumerable<float>().ToArray();
            var expected = Enumerable.Range(0, batch).Select(row => (float)Enumerable.Range(0, 3).Sum(d => new[] { 0.5, 1.25, 2.0, 4.0 }[(row * 3 + d) % 4])).ToArray();
            Assert.Equal(expected, totals);
        }
        Assert.Equal(new Dictionary<string, int> { ["Gather"] = 1, ["ReduceSum"] = 1, ["Cast"] = 1 }, OnnxModelInspection.OperatorCounts(model));
    }
}
