using LatencyNas.Core;
using LatencyNas.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static LatencyNas.Onnx.OnnxGraph;
using DataType = LatencyNas.Onnx.Proto.TensorProto.Types.DataType;

namespace LatencyNas.Onnx.Tests;

/// <summary>Shape inference on every supported operator, each against the shape ONNX Runtime produces when it runs the model.</summary>
public sealed class OnnxModelGraphTests
{
    /// <summary>One small model: a float input "x" of <see cref="Input"/>, nodes written by <see cref="Build"/>, which returns the output value.</summary>
    public sealed record Case(string Name, long[] Input, Func<OnnxGraph, string> Build, int Opset = 17)
    {
        public override string ToString() => Name;
    }

    private static string Floats(OnnxGraph g, string hint, params long[] dims)
    {
        int count = (int)dims.Aggregate(1L, (p, d) => p * d);
        return g.Initializer(hint, Enumerable.Range(0, count).Select(i => (float)Math.Sin(i)).ToArray(), dims);
    }

    private static string Ints(OnnxGraph g, params long[] values) => g.Initializer("i64", values, values.Length);

    private static string Scalar(OnnxGraph g, float value) => g.Initializer("scalar", [value]);

    public static TheoryData<Case> Cases() =>
    [
        new("Conv, padded, strided, dilated", [1, 3, 17, 15], g => g.Node("Conv", ["x", Floats(g, "w", 8, 3, 3, 3)], "c",
            Attribute("pads", [1L, 2, 1, 0]), Attribute("strides", [2L, 1]), Attribute("dilations", [1L, 2]))),
        new("Conv, grouped, SAME_UPPER", [2, 8, 9, 9], g => g.Node("Conv", ["x", Floats(g, "w", 8, 2, 3, 3)], "c",
            Attribute("group", 4L), Attribute("strides", [2L, 2]), Attribute("auto_pad", "SAME_UPPER"))),
        new("Conv, depthwise 5x5", [1, 6, 12, 12], g => g.Node("Conv", ["x", Floats(g, "w", 6, 1, 5, 5), Floats(g, "b", 6)], "c",
            Attribute("group", 6L), Attribute("pads", [2L, 2, 2, 2]))),
        new("ConvTranspose", [1, 4, 7, 7], g => g.Node("ConvTranspose", ["x", Floats(g, "w", 4, 3, 3, 3)], "c",
            Attribute("strides", [2L, 2]), Attribute("pads", [1L, 1, 1, 1]), Attribute("output_padding", [1L, 1]))),
        new("Gemm, transposed B", [3, 10], g => g.Node("Gemm", ["x", Floats(g, "w", 4, 10), Floats(g, "b", 4)], "g", Attribute("transB", 1L))),
        new("MatMul, batched", [2, 5, 7], g => g.Node("MatMul", ["x", Floats(g, "w", 7, 3)], "m")),
        new("MaxPool, ceil mode", [1, 3, 10, 10], g => g.Node("MaxPool", ["x"], "p", Attribute("kernel_shape", [3L, 3]), Attribute("strides", [2L, 2]), Attribute("ceil_mode", 1L))),
        new("AveragePool, padded", [1, 3, 9, 9], g => g.Node("AveragePool", ["x"], "p", Attribute("kernel_shape", [3L, 3]), Attribute("pads", [1L, 1, 1, 1]))),
        new("GlobalAveragePool", [2, 5, 7, 3], g => g.Node("GlobalAveragePool", ["x"], "p")),
        new("BatchNormalization", [1, 4, 5, 5], g => g.Node("BatchNormalization", ["x", Floats(g, "s", 4), Floats(g, "b", 4), Floats(g, "m", 4), g.Initializer("v", [1f, 2, 3, 4], 4)], "bn")),
        new("Add, broadcast", [2, 1, 5], g => g.Node("Add", ["x", Floats(g, "y", 3, 1)], "a")),
        new("Mul by sigmoid (SiLU)", [1, 4, 6, 6], g => g.Node("Mul", ["x", g.Node("Sigmoid", ["x"], "s")], "silu")),
        new("Concat", [1, 3, 4, 4], g => g.Node("Concat", ["x", Floats(g, "y", 1, 5, 4, 4)], "cat", Attribute("axis", 1L))),
        new("Split, sizes as input", [1, 10, 4], g =>
        {
            var split = new NodeProto { Name = "split", OpType = "Split", Input = { "x", Ints(g, 3, 7) }, Output = { "first", "second" } };
            split.Attribute.Add(Attribute("axis", 1L));
            g.Proto.Node.Add(split);
            return g.Node("Relu", ["second"], "after");
        }),
        new("Slice, negative and open end, step 2", [4, 10, 6], g => g.Node("Slice", ["x", Ints(g, 1, -8), Ints(g, long.MaxValue, -1), Ints(g, 0, 1), Ints(g, 1, 2)], "s")),
        new("Reshape, 0 and -1", [2, 3, 4, 5], g => g.Node("Reshape", ["x", Ints(g, 0, -1, 5)], "r")),
        new("Reshape from Shape, Gather, Concat (PyTorch's flatten)", [2, 3, 4, 4], g =>
        {
            string shape = g.Node("Shape", ["x"], "shape");
            string batch = g.Node("Gather", [shape, g.Initializer("zero", [0L])], "batch", Attribute("axis", 0L));
            string target = g.Node("Concat", [g.Node("Unsqueeze", [batch, Ints(g, 0)], "u"), Ints(g, -1)], "target", Attribute("axis", 0L));
            return g.Node("Reshape", ["x", target], "r");
        }),
        new("Flatten", [2, 3, 4, 5], g => g.Node("Flatten", ["x"], "f", Attribute("axis", 2L))),
        new("Transpose", [2, 3, 4], g => g.Node("Transpose", ["x"], "t", Attribute("perm", [2L, 0, 1]))),
        new("Squeeze and Unsqueeze, axes as inputs", [1, 3, 1, 4], g => g.Node("Unsqueeze", [g.Node("Squeeze", ["x", Ints(g, 0, 2)], "sq"), Ints(g, -1)], "un")),
        new("Squeeze, axes as attribute (opset 11)", [1, 3, 1, 4], g => g.Node("Squeeze", ["x"], "sq", Attribute("axes", [2L])), Opset: 11),
        new("Pad", [1, 3, 5, 5], g => g.Node("Pad", ["x", Ints(g, 0, 0, 1, 2, 0, 0, 3, 4)], "pad")),
        new("Resize by scales", [1, 3, 5, 6], g => g.Node("Resize", ["x", "", g.Initializer("scales", [1f, 1, 2, 1.5f], 4)], "rs", Attribute("mode", "nearest"))),
        new("Resize to sizes", [1, 3, 5, 6], g => g.Node("Resize", ["x", "", "", Ints(g, 1, 3, 7, 9)], "rs", Attribute("mode", "linear"))),
        new("ReduceMean without keepdims", [2, 3, 4, 5], g => g.Node("ReduceMean", ["x"], "rm", Attribute("axes", [2L, 3]), Attribute("keepdims", 0L))),
        new("Softmax", [2, 7], g => g.Node("Softmax", ["x"], "sm", Attribute("axis", -1L))),
        new("Relu, Clip, HardSigmoid, HardSwish", [1, 2, 3, 3], g => g.Node("HardSwish", [g.Node("HardSigmoid",
            [g.Node("Clip", [g.Node("Relu", ["x"], "r"), Scalar(g, 0), Scalar(g, 6)], "clip")], "hs")], "hswish")),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_inferred_shape_is_the_one_onnx_runtime_produces(Case test)
    {
        var graph = new OnnxGraph("case");
        graph.Input("x", DataType.Float, [.. test.Input.Cast<object>()]);
        string output = test.Build(graph);
        graph.Rename(output, "out");
        graph.UnshapedOutput("out", DataType.Float);
        byte[] model = graph.ToModel(8, new Dictionary<string, int> { [""] = test.Opset }, "test");

        long[] inferred = OnnxModelGraph.Read(model, test.Name).Shapes["out"];

        using var session = new InferenceSession(model);
        int count = (int)test.Input.Aggregate(1L, (p, d) => p * d);
        var input = new DenseTensor<float>(Enumerable.Range(0, count).Select(i => (float)Math.Cos(i)).ToArray(), test.Input.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", input)]);
        long[] actual = results.Single().AsTensor<float>().Dimensions.ToArray().Select(d => (long)d).ToArray();
        Assert.Equal(actual, inferred);
    }

    [Fact]
    public void A_symbolic_batch_takes_the_batch_asked_for()
    {
        var graph = new OnnxGraph("g");
        graph.Input("x", DataType.Float, "batch", 3, 8, 8);
        graph.Rename(graph.Node("Conv", ["x", Floats(graph, "w", 4, 3, 3, 3)], "c"), "y");
        graph.UnshapedOutput("y", DataType.Float);

        var read = OnnxModelGraph.Read(graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "t"), "m.onnx", batch: 5);

        Assert.Equal([5L, 4, 6, 6], read.Shapes["y"]);
    }

    public static TheoryData<string, Func<OnnxGraph, string>, string> BadModels() => new()
    {
        { "an operator it cannot handle", g => g.Node("LSTM", ["x", Floats(g, "w", 1, 8, 8), Floats(g, "r", 1, 8, 2)], "rnn", Attribute("hidden_size", 2L)), "node 'rnn/LSTM' (LSTM) is an operator LatencyNas cannot handle" },
        { "a reshape to a shape known only at run time", g => g.Node("Reshape", ["x", g.Node("Cast", [g.Node("ReduceMax", ["x"], "m")], "c", Attribute("to", 7L))], "r"), "node 'r/Reshape' (Reshape) takes its target shape from a value computed at run time" },
        { "an operator of another domain", g => g.Node("com.microsoft", "FusedConv", ["x", Floats(g, "w", 2, 8, 1, 1)], "fc"), "(domain com.microsoft)" },
    };

    [Theory]
    [MemberData(nameof(BadModels))]
    public void A_model_it_cannot_read_is_bad_input_naming_the_node(string what, Func<OnnxGraph, string> build, string message)
    {
        var graph = new OnnxGraph(what);
        graph.Input("x", DataType.Float, 1, 8, 4, 4);
        graph.Rename(build(graph), "y");
        graph.UnshapedOutput("y", DataType.Float);

        var error = Assert.Throws<InvalidInputException>(() => OnnxModelGraph.Read(graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "t"), "m.onnx"));

        Assert.Contains(message, error.Message);
    }

    /// <summary>A model ONNX Runtime refuses: a float input "x" of the given shape, nodes written by the builder, which returns the output value.</summary>
    public static TheoryData<string, long[], Func<OnnxGraph, string>, string> InconsistentModels() => new()
    {
        { "Conv weights of 5 channels on an input of 3", [1, 3, 8, 8], g => g.Node("Conv", ["x", Floats(g, "w", 8, 5, 3, 3)], "c"),
            "node 'c/Conv' (Conv) does not fit its inputs, and ONNX Runtime refuses such a model: the input has 3 channels where the weights [8, 5, 3, 3] take 5 per group × 1 group = 5" },
        { "a 2-D Conv on a 1-D input", [1, 3, 32], g => g.Node("Conv", ["x", Floats(g, "w", 8, 3, 3, 3)], "c", Attribute("pads", [1L, 1, 1, 1])),
            "node 'c/Conv' (Conv) does not fit its inputs, and ONNX Runtime refuses such a model: input [1, 3, 32] and weights [8, 3, 3, 3] differ in rank" },
        { "2 groups on 3 channels", [1, 3, 8, 8], g => g.Node("Conv", ["x", Floats(g, "w", 8, 3, 3, 3)], "c", Attribute("group", 2L)),
            "node 'c/Conv' (Conv) does not fit its inputs, and ONNX Runtime refuses such a model: group 2 does not divide the input's 3 channels" },
        { "2 groups on 4 channels and 7 outputs", [1, 4, 8, 8], g => g.Node("Conv", ["x", Floats(g, "w", 7, 2, 3, 3)], "c", Attribute("group", 2L)),
            "node 'c/Conv' (Conv) does not fit its inputs, and ONNX Runtime refuses such a model: group 2 does not divide the weights' 7 output channels" },
        { "a kernel_shape that is not the weights'", [1, 3, 8, 8], g => g.Node("Conv", ["x", Floats(g, "w", 8, 3, 3, 3)], "c", Attribute("kernel_shape", [5L, 5])),
            "node 'c/Conv' (Conv) does not fit its inputs, and ONNX Runtime refuses such a model: kernel_shape [5, 5] is not the weights' spatial size [3, 3]" },
        { "strides of 0", [1, 3, 8, 8], g => g.Node("Conv", ["x", Floats(g, "w", 8, 3, 3, 3)], "c", Attribute("strides", [0L, 0])),
            "node 'c/Conv' (Conv) does not fit its inputs, and ONNX Runtime refuses such a model: strides [0, 0] are not all positive" },
        { "Gemm of 10 columns by 9 rows", [3, 10], g => g.Node("Gemm", ["x", Floats(g, "w", 4, 9)], "g", Attribute("transB", 1L)),
            "node 'g/Gemm' (Gemm) does not fit its inputs, and ONNX Runtime refuses such a model: A [3, 10] has 10 columns where B [4, 9] has 9 rows (transposed)" },
        { "MatMul of 7 columns by 6 rows", [2, 5, 7], g => g.Node("MatMul", ["x", Floats(g, "w", 6, 3)], "m"),
            "node 'm/MatMul' (MatMul) does not fit its inputs, and ONNX Runtime refuses such a model: [2, 5, 7] × [6, 3]: inner dimensions differ" },
        { "weights of 10 bytes where 864 are needed", [1, 3, 8, 8], g =>
            {
                string w = Floats(g, "w", 8, 3, 3, 3);
                g.Proto.Initializer.Single(t => t.Name == w).RawData = Google.Protobuf.ByteString.CopyFrom(new byte[10]);
                return g.Node("Conv", ["x", w], "c");
            },
            "initializer 'w' holds 10 bytes of data where its dimensions [8, 3, 3, 3] need 864" },
        { "weights of 2 values where 4 are needed", [1, 4], g =>
            {
                var w = new TensorProto { Name = "w", DataType = (int)DataType.Float, Dims = { 4, 1 }, FloatData = { 1f, 2f } };
                g.Proto.Initializer.Add(w);
                return g.Node("MatMul", ["x", "w"], "m");
            },
            "initializer 'w' holds 2 values where its dimensions [4, 1] need 4" },
    };

    /// <summary>Each of these ONNX Runtime refuses to load or run; reading it is bad input naming the node (or initializer) and what disagrees.</summary>
    [Theory]
    [MemberData(nameof(InconsistentModels))]
    public void A_model_onnx_runtime_refuses_is_bad_input_naming_what_disagrees(string what, long[] shape, Func<OnnxGraph, string> build, string message)
    {
        var graph = new OnnxGraph(what);
        graph.Input("x", DataType.Float, [.. shape.Cast<object>()]);
        graph.Rename(build(graph), "y");
        graph.UnshapedOutput("y", DataType.Float);
        byte[] model = graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "t");

        Assert.ThrowsAny<OnnxRuntimeException>(() =>
        {
            using var session = new InferenceSession(model);
            var input = new DenseTensor<float>(new float[shape.Aggregate(1L, (p, d) => p * d)], shape.Select(d => (int)d).ToArray());
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", input)]);
        });
        var error = Assert.Throws<InvalidInputException>(() => OnnxModelGraph.Read(model, "m.onnx"));
        Assert.Contains(message, error.Message);
        Assert.StartsWith("'m.onnx': ", error.Message);
    }

    [Fact]
    public void A_fixed_batch_is_the_models_own_and_a_different_one_asked_for_is_refused()
    {
        byte[] Model(object batch)
        {
            var graph = new OnnxGraph("g");
            graph.Input("x", DataType.Float, batch, 3, 8, 8);
            graph.Rename(graph.Node("Conv", ["x", Floats(graph, "w", 4, 3, 3, 3)], "c"), "y");
            graph.UnshapedOutput("y", DataType.Float);
            return graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "t");
        }

        var fixedBatch = OnnxModelGraph.Read(Model(4), "m4.onnx");
        Assert.Equal(4, fixedBatch.Batch);
        Assert.Equal([4L, 4, 6, 6], fixedBatch.Shapes["y"]);
        Assert.Equal(4, OnnxModelGraph.Read(Model(4), "m4.onnx", batch: 4).Batch);
        var error = Assert.Throws<InvalidInputException>(() => OnnxModelGraph.Read(Model(4), "m4.onnx", batch: 8));
        Assert.Contains("input 'x' has a fixed batch dimension of 4, so it cannot run at batch 8", error.Message);

        Assert.Equal(1, OnnxModelGraph.Read(Model("N"), "m.onnx").Batch);
        var symbolic = OnnxModelGraph.Read(Model("N"), "m.onnx", batch: 8);
        Assert.Equal(8, symbolic.Batch);
        Assert.Equal([8L, 4, 6, 6], symbolic.Shapes["y"]);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(2, -5)]
    [InlineData(0, 0)]
    public void An_input_dimension_of_zero_or_less_is_invalid_not_dynamic(int axis, long size)
    {
        object[] shape = [1L, 3L, 32L, 32L];
        shape[axis] = size;
        var graph = new OnnxGraph("g");
        graph.Input("x", DataType.Float, shape);
        graph.Rename(graph.Node("Relu", ["x"], "r"), "y");
        graph.UnshapedOutput("y", DataType.Float);

        var error = Assert.Throws<InvalidInputException>(() => OnnxModelGraph.Read(graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "t"), "m.onnx"));

        Assert.Contains($"input 'x' has an invalid dimension {axis} ({size}); a dimension is a positive size or a symbol", error.Message);
        Assert.DoesNotContain("dynamic", error.Message);
    }

    [Fact]
    public void A_dynamic_spatial_size_external_weights_and_a_file_that_is_no_model_are_bad_input()
    {
        var dynamic = new OnnxGraph("g");
        dynamic.Input("x", DataType.Float, "N", 3, "height", 32);
        dynamic.Rename(dynamic.Node("Relu", ["x"], "r"), "y");
        dynamic.UnshapedOutput("y", DataType.Float);
        var error = Assert.Throws<InvalidInputException>(() => OnnxModelGraph.Read(dynamic.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "t"), "m.onnx"));
        Assert.Contains("dynamic dimension 2 ('height')", error.Message);

        var external = new OnnxGraph("g");
        external.Input("x", DataType.Float, 1, 4);
        string weights = Floats(external, "w", 4, 2);
        external.Proto.Initializer.Single().DataLocation = 1;
        external.Rename(external.Node("MatMul", ["x", weights], "m"), "y");
        external.UnshapedOutput("y", DataType.Float);
        error = Assert.Throws<InvalidInputException>(() => OnnxModelGraph.Read(external.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "t"), "m.onnx"));
        Assert.Contains("external data", error.Message);

        error = Assert.Throws<InvalidInputException>(() => OnnxModelGraph.Read("not a model at all"u8.ToArray(), "notes.txt"));
        Assert.Contains("'notes.txt' is not an ONNX model", error.Message);
    }
}
