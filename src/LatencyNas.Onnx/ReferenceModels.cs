using LatencyNas.Onnx.Proto;
using static LatencyNas.Onnx.OnnxGraph;

namespace LatencyNas.Onnx;

/// <summary>
/// Well-known CNNs written directly as ONNX graphs (opset 17) with seeded random weights, as their
/// papers and torchvision define them: models nobody here designed, to check model reading and
/// kernel detection on. Input <c>input</c> [batch, 3, R, R] with a symbolic batch, output
/// <c>logits</c> [batch, 1000].
/// </summary>
public static class ReferenceModels
{
    public static IReadOnlyList<string> Names { get; } = ["resnet18", "mobilenetv2", "squeezenet1.1", "efficientnet-b0"];

    /// <exception cref="ArgumentException">Not one of <see cref="Names"/>.</exception>
    public static byte[] Build(string name, int resolution = 224, int seed = 0)
    {
        var model = new Builder(name, resolution, seed);
        string output = name switch
        {
            "resnet18" => model.ResNet18(),
            "mobilenetv2" => model.MobileNetV2(),
            "squeezenet1.1" => model.SqueezeNet11(),
            "efficientnet-b0" => model.EfficientNetB0(),
            _ => throw new ArgumentException($"Unknown reference model '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
        };
        return model.Finish(output);
    }

    private sealed class Builder
    {
        private readonly OnnxGraph _graph;
        private readonly Random _random;
        private readonly string _zero, _six;

        public Builder(string name, int resolution, int seed)
        {
            _graph = new OnnxGraph(name);
            _random = new Random(seed);
            _graph.Input("input", TensorProto.Types.DataType.Float, "batch", 3, resolution, resolution);
            _zero = _graph.Initializer("zero", [0f]);
            _six = _graph.Initializer("six", [6f]);
        }

        public byte[] Finish(string output)
        {
            _graph.Rename(output, "logits");
            _graph.Output("logits", TensorProto.Types.DataType.Float, "batch", 1000);
            return _graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "reference");
        }

        private string Weights(string hint, params long[] dims)
        {
            long count = dims.Aggregate(1L, (p, d) => p * d);
            float scale = (float)Math.Sqrt(2.0 / dims.Skip(1).Aggregate(1L, (p, d) => p * d));
            var values = new float[count];
            for (long i = 0; i < count; i++)
            {
                values[i] = (float)(_random.NextDouble() * 2 - 1) * scale;
            }
            return _graph.Initializer(hint, values, dims);
        }

        private string Vector(string hint, int length, float low, float high)
            => _graph.Initializer(hint, Enumerable.Range(0, length).Select(_ => low + (float)_random.NextDouble() * (high - low)).ToArray(), length);

        private string Conv(string x, int cin, int cout, int kernel, int stride, string hint, int groups = 1, bool bias = false)
        {
            List<string> inputs = [x, Weights(hint + ".weight", cout, cin / groups, kernel, kernel)];
            if (bias)
            {
                inputs.Add(Vector(hint + ".bias", cout, -0.1f, 0.1f));
            }
            int pad = kernel / 2;
            return _graph.Node("Conv", inputs, hint, Attribute("kernel_shape", [kernel, (long)kernel]), Attribute("strides", [stride, (long)stride]),
                Attribute("pads", [pad, pad, pad, (long)pad]), Attribute("group", (long)groups));
        }

        private string BatchNorm(string x, int channels, string hint) => _graph.Node("BatchNormalization",
            [x, Vector(hint + ".scale", channels, 0.5f, 1.5f), Vector(hint + ".bias", channels, -0.1f, 0.1f), Vector(hint + ".mean", channels, -0.1f, 0.1f),
                Vector(hint + ".var", channels, 0.5f, 1.5f)], hint, Attribute("epsilon", 1e-5f));

        private string Relu(string x, string hint) => _graph.Node("Relu", [x], hint);

        private string Relu6(string x, string hint) => _graph.Node("Clip", [x, _zero, _six], hint);

        private string Swish(string x, string hint) => _graph.Node("Mul", [x, _graph.Node("Sigmoid", [x], hint)], hint);

        private string ConvBn(string x, int cin, int cout, int kernel, int stride, string hint, int groups = 1)
            => BatchNorm(Conv(x, cin, cout, kernel, stride, hint + ".conv", groups), cout, hint + ".bn");

        private string Head(string x, int channels)
        {
            string pooled = _graph.Node("GlobalAveragePool", [x], "pool");
            string flat = _graph.Node("Flatten", [pooled], "flatten", Attribute("axis", 1L));
            return _graph.Node("Gemm", [flat, Weights("fc.weight", 1000, channels), Vector("fc.bias", 1000, -0.1f, 0.1f)], "fc", Attribute("transB", 1L));
        }

        /// <summary>He et al. 2016: basic blocks [2, 2, 2, 2].</summary>
        public string ResNet18()
        {
            string x = Relu(ConvBn("input", 3, 64, 7, 2, "stem"), "stem.relu");
            x = _graph.Node("MaxPool", [x], "stem.pool", Attribute("kernel_shape", [3L, 3]), Attribute("strides", [2L, 2]), Attribute("pads", [1L, 1, 1, 1]));
            int channels = 64;
            foreach (var (width, stage) in new[] { 64, 128, 256, 512 }.Select((w, i) => (w, i + 1)))
            {
                for (int block = 0; block < 2; block++)
                {
                    int stride = block == 0 && stage > 1 ? 2 : 1;
                    string hint = $"layer{stage}.{block}";
                    string shortcut = stride == 1 && channels == width ? x : ConvBn(x, channels, width, 1, stride, hint + ".downsample");
                    string y = Relu(ConvBn(x, channels, width, 3, stride, hint + ".1"), hint + ".relu1");
                    y = ConvBn(y, width, width, 3, 1, hint + ".2");
                    x = Relu(_graph.Node("Add", [y, shortcut], hint), hint + ".relu");
                    channels = width;
                }
            }
            return Head(x, 512);
        }

        /// <summary>Sandler et al. 2018: inverted residuals with ReLU6 (Clip 0..6).</summary>
        public string MobileNetV2()
        {
            string x = Relu6(ConvBn("input", 3, 32, 3, 2, "stem"), "stem.relu6");
            int channels = 32, index = 0;
            foreach (var (t, c, n, s) in new[] { (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) })
            {
                for (int i = 0; i < n; i++, index++)
                {
                    int stride = i == 0 ? s : 1, hidden = channels * t;
                    string hint = $"features.{index}";
                    string y = t == 1 ? x : Relu6(ConvBn(x, channels, hidden, 1, 1, hint + ".expand"), hint + ".expand.relu6");
                    y = Relu6(ConvBn(y, hidden, hidden, 3, stride, hint + ".dw", groups: hidden), hint + ".dw.relu6");
                    y = ConvBn(y, hidden, c, 1, 1, hint + ".project");
                    x = stride == 1 && channels == c ? _graph.Node("Add", [x, y], hint) : y;
                    channels = c;
                }
            }
            x = Relu6(ConvBn(x, channels, 1280, 1, 1, "last"), "last.relu6");
            return Head(x, 1280);
        }

        /// <summary>Iandola et al. 2016, version 1.1: fire modules (squeeze, then 1×1 and 3×3 expands concatenated), biased convolutions, no BatchNorm.</summary>
        public string SqueezeNet11()
        {
            string MaxPool(string x, string hint) => _graph.Node("MaxPool", [x], hint, Attribute("kernel_shape", [3L, 3]), Attribute("strides", [2L, 2]), Attribute("ceil_mode", 1L));
            string x = Relu(_graph.Node("Conv", ["input", Weights("conv1.weight", 64, 3, 3, 3), Vector("conv1.bias", 64, -0.1f, 0.1f)], "conv1",
                Attribute("kernel_shape", [3L, 3]), Attribute("strides", [2L, 2])), "conv1.relu");
            x = MaxPool(x, "pool1");
            int channels = 64;
            foreach (var (squeeze, expand, fire) in new[] { (16, 64, 2), (16, 64, 3), (32, 128, 4), (32, 128, 5), (48, 192, 6), (48, 192, 7), (64, 256, 8), (64, 256, 9) })
            {
                string hint = $"fire{fire}";
                string s = Relu(Conv(x, channels, squeeze, 1, 1, hint + ".squeeze", bias: true), hint + ".squeeze.relu");
                string e1 = Relu(Conv(s, squeeze, expand, 1, 1, hint + ".expand1x1", bias: true), hint + ".expand1x1.relu");
                string e3 = Relu(Conv(s, squeeze, expand, 3, 1, hint + ".expand3x3", bias: true), hint + ".expand3x3.relu");
                x = _graph.Node("Concat", [e1, e3], hint, Attribute("axis", 1L));
                channels = 2 * expand;
                if (fire is 3 or 5)
                {
                    x = MaxPool(x, $"pool{fire}");
                }
            }
            x = _graph.Node("Dropout", [x], "dropout");
            x = Relu(Conv(x, channels, 1000, 1, 1, "classifier", bias: true), "classifier.relu");
            string pooled = _graph.Node("GlobalAveragePool", [x], "pool");
            return _graph.Node("Flatten", [pooled], "flatten", Attribute("axis", 1L));
        }

        /// <summary>Tan and Le 2019, B0: MBConv blocks with Swish (x·sigmoid(x)) and squeeze-and-excitation.</summary>
        public string EfficientNetB0()
        {
            string x = Swish(ConvBn("input", 3, 32, 3, 2, "stem"), "stem.swish");
            int channels = 32, index = 0;
            foreach (var (t, k, c, n, s) in new[] { (1, 3, 16, 1, 1), (6, 3, 24, 2, 2), (6, 5, 40, 2, 2), (6, 3, 80, 3, 2), (6, 5, 112, 3, 1), (6, 5, 192, 4, 2), (6, 3, 320, 1, 1) })
            {
                for (int i = 0; i < n; i++, index++)
                {
                    int stride = i == 0 ? s : 1, hidden = channels * t, reduced = Math.Max(1, channels / 4);
                    string hint = $"blocks.{index}";
                    string y = t == 1 ? x : Swish(ConvBn(x, channels, hidden, 1, 1, hint + ".expand"), hint + ".expand.swish");
                    y = Swish(ConvBn(y, hidden, hidden, k, stride, hint + ".dw", groups: hidden), hint + ".dw.swish");
                    string squeezed = _graph.Node("GlobalAveragePool", [y], hint + ".se");
                    squeezed = Swish(Conv(squeezed, hidden, reduced, 1, 1, hint + ".se.reduce", bias: true), hint + ".se.swish");
                    string gate = _graph.Node("Sigmoid", [Conv(squeezed, reduced, hidden, 1, 1, hint + ".se.expand", bias: true)], hint + ".se.gate");
                    y = _graph.Node("Mul", [y, gate], hint + ".se.scale");
                    y = ConvBn(y, hidden, c, 1, 1, hint + ".project");
                    x = stride == 1 && channels == c ? _graph.Node("Add", [x, y], hint) : y;
                    channels = c;
                }
            }
            x = Swish(ConvBn(x, channels, 1280, 1, 1, "head"), "head.swish");
            return Head(x, 1280);
        }
    }
}
