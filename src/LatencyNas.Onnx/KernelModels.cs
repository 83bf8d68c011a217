using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx.Proto;
using static LatencyNas.Onnx.OnnxGraph;

namespace LatencyNas.Onnx;

/// <summary>
/// Single-kernel ONNX models (opset 17) for profiling: one convolution (with bias, as a folded
/// BatchNorm leaves it, and its activation), one elementwise pass, one pooling or one Gemm, with
/// seeded random weights. Binary elementwise kernels read a second input, as they read another
/// activation inside a network.
/// <para>
/// For a device whose ONNX Runtime lays channels out in blocks (<paramref name="nchwcBlockSize"/>
/// above 1, the <c>all</c> level on x64), a convolution or pooling that runs blocked inside a network
/// (<see cref="NchwcLayout"/>) is written as ONNX Runtime's own blocked operator reading and writing
/// blocked values, so that its measurement holds the kernel alone and not the reorders a
/// single-kernel model would otherwise pay around it; the reorders are measured on their own
/// (without a blocked layout they are written as the copy they never run as).
/// </para>
/// </summary>
public static class KernelModels
{
    /// <param name="nchwcBlockSize">The device's channel block (see <see cref="CpuKernels.LocalNchwcBlockSize"/>); 1: no blocked layout.</param>
    public static byte[] Build(KernelConfig config, int batch = 1, int seed = 0, int nchwcBlockSize = 1)
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
        else if (config.Kind is KernelKind.Conv or KernelKind.DepthwiseConv && nchwcBlockSize > 1
                 && NchwcLayout.ConvolutionBlocks(config.Kind == KernelKind.DepthwiseConv ? 1 : c, config.OutputChannels, config.Kind == KernelKind.DepthwiseConv ? c : 1, nchwcBlockSize) is { } readsBlocked)
        {
            graph.Input("input", TensorProto.Types.DataType.Float, batch, readsBlocked ? Padded(c, nchwcBlockSize) : c, r, r);
            output = BlockedConvolution(graph, config, readsBlocked, nchwcBlockSize, Random);
        }
        else if (config.Kind is KernelKind.Pool && nchwcBlockSize > 1 && c % nchwcBlockSize == 0)
        {
            graph.Input("input", TensorProto.Types.DataType.Float, batch, c, r, r);
            output = Pooling(graph, config, NchwcLayout.Domain);
        }
        else if (config.Kind is KernelKind.Elementwise && config.Variant is KernelSpace.ReorderInput or KernelSpace.ReorderOutput && nchwcBlockSize > 1)
        {
            int block = nchwcBlockSize;
            bool into = config.Variant == KernelSpace.ReorderInput;
            graph.Input("input", TensorProto.Types.DataType.Float, batch, into ? c : Padded(c, block), r, r);
            output = into
                ? graph.Node(NchwcLayout.Domain, "ReorderInput", ["input"], "reorder")
                : graph.Node(NchwcLayout.Domain, "ReorderOutput", ["input"], "reorder", Attribute("channels", (long)c));
        }
        else
        {
            graph.Input("input", TensorProto.Types.DataType.Float, batch, c, r, r);
            output = config.Kind switch
            {
                KernelKind.Conv or KernelKind.DepthwiseConv => Convolution(graph, config, Random),
                KernelKind.Elementwise => Elementwise(graph, config, batch),
                _ => Pooling(graph, config, ""),
            };
        }
        graph.Rename(output, "output");
        graph.UnshapedOutput("output", TensorProto.Types.DataType.Float);
        var opsets = new Dictionary<string, int> { [""] = 17 };
        if (graph.Proto.Node.Any(n => n.Domain == NchwcLayout.Domain))
        {
            opsets[NchwcLayout.Domain] = 1;
        }
        return graph.ToModel(8, opsets, "kernel");
    }

    private static int Padded(int channels, int block) => (channels + block - 1) / block * block;

    /// <summary>
    /// ONNX Runtime's blocked convolution as its layout transform writes it: weights padded to whole
    /// blocks of output channels (and of input channels when the input is blocked), a depthwise one
    /// with one group per padded channel, the activation as an attribute.
    /// </summary>
    private static string BlockedConvolution(OnnxGraph graph, KernelConfig config, bool readsBlocked, int block, Func<long, float[]> random)
    {
        bool depthwise = config.Kind == KernelKind.DepthwiseConv;
        int output = Padded(config.OutputChannels, block);
        int input = depthwise ? 1 : readsBlocked ? Padded(config.InputChannels, block) : config.InputChannels;
        int k = config.Kernel, pad = k / 2;
        var attributes = new List<AttributeProto>
        {
            Attribute("kernel_shape", [k, (long)k]), Attribute("strides", [config.Stride, (long)config.Stride]),
            Attribute("pads", [pad, pad, pad, (long)pad]), Attribute("group", depthwise ? output : 1L),
        };
        if (config.Variant == 1)
        {
            attributes.Add(Attribute("activation", "Relu"));
        }
        return graph.Node(NchwcLayout.Domain, "Conv",
            ["input", graph.Initializer("weight", random((long)output * input * k * k), output, input, k, k), graph.Initializer("bias", random(output), output)],
            "conv", [.. attributes]);
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

    private static string Pooling(OnnxGraph graph, KernelConfig config, string domain)
    {
        if (config.Variant == KernelSpace.GlobalPool)
        {
            return graph.Node(domain, "GlobalAveragePool", ["input"], "pool");
        }
        string op = config.Variant is KernelSpace.AveragePool3 or KernelSpace.AveragePool3Stride2 ? "AveragePool" : "MaxPool";
        long pad = config.Kernel == 3 ? 1 : 0;
        return graph.Node(domain, op, ["input"], "pool", Attribute("kernel_shape", [config.Kernel, (long)config.Kernel]),
            Attribute("strides", [config.Stride, (long)config.Stride]), Attribute("pads", [pad, pad, pad, pad]));
    }
}
