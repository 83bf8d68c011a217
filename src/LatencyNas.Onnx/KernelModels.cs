using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx.Proto;
using static LatencyNas.Onnx.OnnxGraph;

namespace LatencyNas.Onnx;

/// <summary>
/// Single-kernel ONNX models (opset 17) for profiling: one convolution (with bias, as a folded
/// BatchNorm leaves it, and its activation), one elementwise pass, one pooling or one Gemm, with
/// seeded random weights. Binary elementwise kernels read a second input, as they read another
/// activation inside a network.
/// </summary>
public static class KernelModels
{
    public static byte[] Build(KernelConfig config, int batch = 1, int seed = 0)
    {
        var random = new Random(seed);
        var graph = new OnnxGraph($"kernel_{config.Kind}");
        float[] Random(long count)
        {
            var values = new float[count];
            for (long i = 0; i < count; i++)
            {
                values[i] = (float)(random.NextDouble() * 2 - 1) * 0.1f;
            }
            return values;
        }
        int r = config.Resolution, c = config.InputChannels;
        string output;
        if (config.Kind == KernelKind.Gemm)
        {
            graph.Input("input", TensorProto.Types.DataType.Float, batch, c);
            output = graph.Node("Gemm", ["input", graph.Initializer("weight", Random((long)config.OutputChannels * c), config.OutputChannels, c),
                graph.Initializer("bias", Random(config.OutputChannels), config.OutputChannels)], "gemm", Attribute("transB", 1L));
        }
        else
        {
            graph.Input("input", TensorProto.Types.DataType.Float, batch, c, r, r);
            output = config.Kind switch
            {
                KernelKind.Conv or KernelKind.DepthwiseConv => Convolution(graph, config, Random),
                KernelKind.Elementwise => Elementwise(graph, config, batch),
                _ => Pooling(graph, config),
            };
        }
        graph.Rename(output, "output");
        graph.UnshapedOutput("output", TensorProto.Types.DataType.Float);
        return graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "kernel");
    }

    private static string Convolution(OnnxGraph graph, KernelConfig config, Func<long, float[]> random)
    {
        int groups = config.Kind == KernelKind.DepthwiseConv ? config.InputChannels : 1;
        int k = config.Kernel, pad = k / 2;
        string conv = graph.Node("Conv",
            ["input", graph.Initializer("weight", random((long)config.OutputChannels * config.InputChannels / groups * k * k), config.OutputChannels, config.InputChannels / groups, k, k),
                graph.Initializer("bias", random(config.OutputChannels), config.OutputChannels)],
            "conv", Attribute("kernel_shape", [k, (long)k]), Attribute("strides", [config.Stride, (long)config.Stride]),
            Attribute("pads", [pad, pad, pad, (long)pad]), Attribute("group", (long)groups));
        return config.Variant == 1 ? graph.Node("Relu", [conv], "relu") : conv;
    }

    private static string Elementwise(OnnxGraph graph, KernelConfig config, int batch)
    {
        if (config.Variant is KernelSpace.Add or KernelSpace.AddRelu or KernelSpace.Mul)
        {
            graph.Input("other", TensorProto.Types.DataType.Float, batch, config.InputChannels, config.Resolution, config.Resolution);
        }
        return config.Variant switch
        {
            KernelSpace.Add => graph.Node("Add", ["input", "other"], "add"),
            KernelSpace.AddRelu => graph.Node("Relu", [graph.Node("Add", ["input", "other"], "add")], "relu"),
            KernelSpace.Relu => graph.Node("Relu", ["input"], "relu"),
            KernelSpace.Mul => graph.Node("Mul", ["input", "other"], "mul"),
            KernelSpace.Sigmoid => graph.Node("Sigmoid", ["input"], "sigmoid"),
            _ => graph.Node("Transpose", ["input"], "copy", Attribute("perm", [0L, 1, 3, 2])),
        };
    }

    private static string Pooling(OnnxGraph graph, KernelConfig config)
    {
        if (config.Variant == KernelSpace.GlobalPool)
        {
            return graph.Node("GlobalAveragePool", ["input"], "pool");
        }
        string op = config.Variant is KernelSpace.AveragePool3 or KernelSpace.AveragePool3Stride2 ? "AveragePool" : "MaxPool";
        long pad = config.Kernel == 3 ? 1 : 0;
        return graph.Node(op, ["input"], "pool", Attribute("kernel_shape", [config.Kernel, (long)config.Kernel]),
            Attribute("strides", [config.Stride, (long)config.Stride]), Attribute("pads", [pad, pad, pad, pad]));
    }
}
