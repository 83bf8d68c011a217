using LatencyNas.Onnx.Proto;
using static LatencyNas.Onnx.OnnxGraph;

namespace LatencyNas.Onnx;

/// <summary>
/// Ten well-known CNN families written directly as ONNX graphs (opset 17) with seeded random
/// weights, as their papers and torchvision define them: models nobody here designed, to check
/// model reading, kernel detection and kernel-based prediction on. Input <c>input</c> [batch, 3, R, R] with a symbolic batch, output
/// <c>logits</c> [batch, 1000].
/// </summary>
public static class ReferenceModels
{
    public static IReadOnlyList<string> Names { get; } =
        ["resnet18", "resnet50", "mobilenetv2", "mnasnet1.0", "efficientnet-b0", "squeezenet1.1", "shufflenetv2", "densenet121", "googlenet", "regnetx-400mf"];

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
            "resnet50" => model.ResNet50(),
            "mnasnet1.0" => model.MnasNet10(),
            "shufflenetv2" => model.ShuffleNetV2(resolution),
            "densenet121" => model.DenseNet121(),
            "googlenet" => model.GoogLeNet(),
            "regnetx-400mf" => model.RegNetX400MF(),
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

        private string ConvBnRelu(string x, int cin, int cout, int kernel, int stride, string hint, int groups = 1)
            => Relu(ConvBn(x, cin, cout, kernel, stride, hint, groups), hint + ".relu");

        private string MaxPool(string x, int kernel, int stride, string hint, bool ceil = false, int pad = 0)
            => _graph.Node("MaxPool", [x], hint, Attribute("kernel_shape", [kernel, (long)kernel]), Attribute("strides", [stride, (long)stride]),
                Attribute("pads", [pad, pad, pad, (long)pad]), Attribute("ceil_mode", ceil ? 1L : 0L));

        private string Concat(IReadOnlyList<string> parts, string hint) => _graph.Node("Concat", parts, hint, Attribute("axis", 1L));

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
            string x = Relu(_graph.Node("Conv", ["input", Weights("conv1.weight", 64, 3, 3, 3), Vector("conv1.bias", 64, -0.1f, 0.1f)], "conv1",
                Attribute("kernel_shape", [3L, 3]), Attribute("strides", [2L, 2])), "conv1.relu");
            x = MaxPool(x, 3, 2, "pool1", ceil: true);
            int channels = 64;
            foreach (var (squeeze, expand, fire) in new[] { (16, 64, 2), (16, 64, 3), (32, 128, 4), (32, 128, 5), (48, 192, 6), (48, 192, 7), (64, 256, 8), (64, 256, 9) })
            {
                string hint = $"fire{fire}";
                string s = Relu(Conv(x, channels, squeeze, 1, 1, hint + ".squeeze", bias: true), hint + ".squeeze.relu");
                string e1 = Relu(Conv(s, squeeze, expand, 1, 1, hint + ".expand1x1", bias: true), hint + ".expand1x1.relu");
                string e3 = Relu(Conv(s, squeeze, expand, 3, 1, hint + ".expand3x3", bias: true), hint + ".expand3x3.relu");
                x = Concat([e1, e3], hint);
                channels = 2 * expand;
                if (fire is 3 or 5)
                {
                    x = MaxPool(x, 3, 2, $"pool{fire}", ceil: true);
                }
            }
            x = _graph.Node("Dropout", [x], "dropout");
            x = Relu(Conv(x, channels, 1000, 1, 1, "classifier", bias: true), "classifier.relu");
            string pooled = _graph.Node("GlobalAveragePool", [x], "pool");
            return _graph.Node("Flatten", [pooled], "flatten", Attribute("axis", 1L));
        }

        /// <summary>He et al. 2016: bottleneck blocks [3, 4, 6, 3], expansion 4.</summary>
        public string ResNet50()
        {
            string x = ConvBnRelu("input", 3, 64, 7, 2, "stem");
            x = MaxPool(x, 3, 2, "stem.pool", pad: 1);
            int channels = 64;
            foreach (var (width, blocks, stage) in new[] { (64, 3, 1), (128, 4, 2), (256, 6, 3), (512, 3, 4) })
            {
                for (int block = 0; block < blocks; block++)
                {
                    int stride = block == 0 && stage > 1 ? 2 : 1;
                    string hint = $"layer{stage}.{block}";
                    string shortcut = stride == 1 && channels == 4 * width ? x : ConvBn(x, channels, 4 * width, 1, stride, hint + ".downsample");
                    string y = ConvBnRelu(x, channels, width, 1, 1, hint + ".1");
                    y = ConvBnRelu(y, width, width, 3, stride, hint + ".2");
                    y = ConvBn(y, width, 4 * width, 1, 1, hint + ".3");
                    x = Relu(_graph.Node("Add", [y, shortcut], hint), hint + ".relu");
                    channels = 4 * width;
                }
            }
            return Head(x, 2048);
        }

        /// <summary>Tan et al. 2019, MnasNet-B1 at width 1.0 (torchvision): inverted residuals with ReLU, 3×3 and 5×5 depthwise.</summary>
        public string MnasNet10()
        {
            string x = ConvBnRelu("input", 3, 32, 3, 2, "stem");
            x = ConvBnRelu(x, 32, 32, 3, 1, "stem.dw", groups: 32);
            x = ConvBn(x, 32, 16, 1, 1, "stem.project");
            int channels = 16, index = 0;
            foreach (var (t, k, s, n, c) in new[] { (3, 3, 2, 3, 24), (3, 5, 2, 3, 40), (6, 5, 2, 3, 80), (6, 3, 1, 2, 96), (6, 5, 2, 4, 192), (6, 3, 1, 1, 320) })
            {
                for (int i = 0; i < n; i++, index++)
                {
                    int stride = i == 0 ? s : 1, hidden = channels * t;
                    string hint = $"layers.{index}";
                    string y = ConvBnRelu(x, channels, hidden, 1, 1, hint + ".expand");
                    y = ConvBnRelu(y, hidden, hidden, k, stride, hint + ".dw", groups: hidden);
                    y = ConvBn(y, hidden, c, 1, 1, hint + ".project");
                    x = stride == 1 && channels == c ? _graph.Node("Add", [x, y], hint) : y;
                    channels = c;
                }
            }
            return Head(ConvBnRelu(x, channels, 1280, 1, 1, "last"), 1280);
        }

        /// <summary>Ma et al. 2018, ShuffleNetV2 ×1.0: channel split (two Slices), branches, concat and channel shuffle (Reshape, Transpose, Reshape).</summary>
        public string ShuffleNetV2(int resolution)
        {
            static int Half(int size) => (size + 1) / 2;
            int size = Half(Half(resolution));
            string x = MaxPool(ConvBnRelu("input", 3, 24, 3, 2, "stem"), 3, 2, "stem.pool", pad: 1);
            int channels = 24;
            foreach (var (c, repeats, stage) in new[] { (116, 4, 2), (232, 8, 3), (464, 4, 4) })
            {
                for (int i = 0; i < repeats; i++)
                {
                    string hint = $"stage{stage}.{i}";
                    int half = c / 2;
                    string left, right;
                    if (i == 0)
                    {
                        size = Half(size);
                        left = ConvBnRelu(ConvBn(x, channels, channels, 3, 2, hint + ".branch1.dw", groups: channels), channels, half, 1, 1, hint + ".branch1.pw");
                        right = ConvBnRelu(x, channels, half, 1, 1, hint + ".branch2.pw1");
                        right = ConvBn(right, half, half, 3, 2, hint + ".branch2.dw", groups: half);
                    }
                    else
                    {
                        left = _graph.Node("Slice", [x, _graph.Int64Constant([0]), _graph.Int64Constant([half]), _graph.Int64Constant([1])], hint + ".split");
                        right = _graph.Node("Slice", [x, _graph.Int64Constant([half]), _graph.Int64Constant([c]), _graph.Int64Constant([1])], hint + ".split");
                        right = ConvBnRelu(right, half, half, 1, 1, hint + ".branch2.pw1");
                        right = ConvBn(right, half, half, 3, 1, hint + ".branch2.dw", groups: half);
                    }
                    right = ConvBnRelu(right, half, half, 1, 1, hint + ".branch2.pw2");
                    x = Concat([left, right], hint);
                    string grouped = _graph.Node("Reshape", [x, _graph.Int64Constant([0, 2, half, size, size])], hint + ".shuffle");
                    string swapped = _graph.Node("Transpose", [grouped], hint + ".shuffle", Attribute("perm", [0L, 2, 1, 3, 4]));
                    x = _graph.Node("Reshape", [swapped, _graph.Int64Constant([0, c, size, size])], hint + ".shuffle");
                    channels = c;
                }
            }
            return Head(ConvBnRelu(x, channels, 1024, 1, 1, "conv5"), 1024);
        }

        /// <summary>Huang et al. 2017, DenseNet-121: dense blocks [6, 12, 24, 16] of growth 32 (BN-ReLU-conv, each layer reading the concatenation of all before it), transitions halving channels.</summary>
        public string DenseNet121()
        {
            string x = MaxPool(ConvBnRelu("input", 3, 64, 7, 2, "stem"), 3, 2, "stem.pool", pad: 1);
            int channels = 64;
            foreach (var (layers, block) in new[] { (6, 1), (12, 2), (24, 3), (16, 4) })
            {
                var features = new List<string> { x };
                for (int i = 0; i < layers; i++)
                {
                    string hint = $"block{block}.{i}";
                    string input = features.Count == 1 ? features[0] : Concat(features, hint + ".cat");
                    int inputChannels = channels + 32 * i;
                    string y = Conv(Relu(BatchNorm(input, inputChannels, hint + ".bn1"), hint + ".relu1"), inputChannels, 128, 1, 1, hint + ".conv1");
                    y = Conv(Relu(BatchNorm(y, 128, hint + ".bn2"), hint + ".relu2"), 128, 32, 3, 1, hint + ".conv2");
                    features.Add(y);
                }
                x = Concat(features, $"block{block}.cat");
                channels += 32 * layers;
                if (block < 4)
                {
                    string hint = $"transition{block}";
                    x = Conv(Relu(BatchNorm(x, channels, hint + ".bn"), hint + ".relu"), channels, channels / 2, 1, 1, hint + ".conv");
                    x = _graph.Node("AveragePool", [x], hint + ".pool", Attribute("kernel_shape", [2L, 2]), Attribute("strides", [2L, 2]));
                    channels /= 2;
                }
            }
            return Head(Relu(BatchNorm(x, channels, "final.bn"), "final.relu"), channels);
        }

        /// <summary>Szegedy et al. 2015, GoogLeNet as torchvision builds it (BatchNorm, 3×3 in the fourth branch of each inception, no auxiliary heads).</summary>
        public string GoogLeNet()
        {
            string x = MaxPool(ConvBnRelu("input", 3, 64, 7, 2, "conv1"), 3, 2, "pool1", ceil: true);
            x = ConvBnRelu(x, 64, 64, 1, 1, "conv2");
            x = MaxPool(ConvBnRelu(x, 64, 192, 3, 1, "conv3"), 3, 2, "pool2", ceil: true);
            string Inception(string input, string name, int cin, int c1, int c3r, int c3, int c5r, int c5, int pool) => Concat(
            [
                ConvBnRelu(input, cin, c1, 1, 1, name + ".b1"),
                ConvBnRelu(ConvBnRelu(input, cin, c3r, 1, 1, name + ".b2a"), c3r, c3, 3, 1, name + ".b2b"),
                ConvBnRelu(ConvBnRelu(input, cin, c5r, 1, 1, name + ".b3a"), c5r, c5, 3, 1, name + ".b3b"),
                ConvBnRelu(MaxPool(input, 3, 1, name + ".b4pool", ceil: true, pad: 1), cin, pool, 1, 1, name + ".b4"),
            ], name);
            x = Inception(x, "3a", 192, 64, 96, 128, 16, 32, 32);
            x = Inception(x, "3b", 256, 128, 128, 192, 32, 96, 64);
            x = MaxPool(x, 3, 2, "pool3", ceil: true);
            x = Inception(x, "4a", 480, 192, 96, 208, 16, 48, 64);
            x = Inception(x, "4b", 512, 160, 112, 224, 24, 64, 64);
            x = Inception(x, "4c", 512, 128, 128, 256, 24, 64, 64);
            x = Inception(x, "4d", 512, 112, 144, 288, 32, 64, 64);
            x = Inception(x, "4e", 528, 256, 160, 320, 32, 128, 128);
            x = MaxPool(x, 2, 2, "pool4", ceil: true);
            x = Inception(x, "5a", 832, 256, 160, 320, 32, 128, 128);
            x = Inception(x, "5b", 832, 384, 192, 384, 48, 128, 128);
            return Head(x, 1024);
        }

        /// <summary>Radosavovic et al. 2020, RegNetX-400MF: depths [1, 2, 7, 12], widths [32, 64, 160, 400], grouped 3×3 convolutions of group width 16.</summary>
        public string RegNetX400MF()
        {
            string x = ConvBnRelu("input", 3, 32, 3, 2, "stem");
            int channels = 32;
            foreach (var (width, depth, stage) in new[] { (32, 1, 1), (64, 2, 2), (160, 7, 3), (400, 12, 4) })
            {
                for (int block = 0; block < depth; block++)
                {
                    int stride = block == 0 ? 2 : 1;
                    string hint = $"s{stage}.b{block}";
                    string shortcut = stride == 1 && channels == width ? x : ConvBn(x, channels, width, 1, stride, hint + ".proj");
                    string y = ConvBnRelu(x, channels, width, 1, 1, hint + ".a");
                    y = ConvBnRelu(y, width, width, 3, stride, hint + ".b", groups: width / 16);
                    y = ConvBn(y, width, width, 1, 1, hint + ".c");
                    x = Relu(_graph.Node("Add", [y, shortcut], hint), hint + ".relu");
                    channels = width;
                }
            }
            return Head(x, 400);
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
