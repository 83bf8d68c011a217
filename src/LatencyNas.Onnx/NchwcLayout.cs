namespace LatencyNas.Onnx;

/// <summary>
/// The NCHWc layout ONNX Runtime's CPU provider applies at its <c>all</c> level on x64 (its
/// <c>NchwcTransformer</c>): channels stored in blocks of 8 or 16 so that vector registers hold one
/// block. Walking the kernels of the extended level in order:
/// <list type="bullet">
/// <item>a convolution with constant weights runs blocked (<c>com.microsoft.nchwc:Conv</c>) when its
/// channels allow: dense with fewer input channels than a block (it reads the plain input) or a
/// multiple of the block; depthwise or grouped with output channels, and channels per group, in
/// whole blocks. A plain input is reordered into blocks once (<c>ReorderInput</c>);</item>
/// <item>MaxPool and AveragePool whose channels are whole blocks run blocked, reordering a plain input;
/// global pooling too, when its input is blocked;</item>
/// <item>a node all of whose computed inputs are blocked stays blocked: Add and Sum (fused into the
/// convolution that made one input, when that convolution has no other reader and no activation),
/// Mul of equal shapes, Concat along channels of whole blocks, Relu, Sigmoid and Tanh (fused into
/// a sole-reader convolution without an activation), x · sigmoid(x) (not fused), BatchNormalization (run as a depthwise 1×1
/// convolution), nearest Resize by whole factors, and a Transpose to channels-last
/// (run as a <c>ReorderOutput</c>);</item>
/// <item>every blocked value something plain still reads is reordered back once (<c>ReorderOutput</c>).</item>
/// </list>
/// Elementwise nodes on blocked values keep their operator and read the padded channels.
/// </summary>
public static class NchwcLayout
{
    public const string Domain = "com.microsoft.nchwc";

    public const string BlockedConv = Domain + ":Conv", ReorderInput = Domain + ":ReorderInput", ReorderOutput = Domain + ":ReorderOutput";

    /// <summary>A blocked value: the kernel that writes it, its logical channels, and how many kernels read it in the plain layout.</summary>
    private sealed class BlockedValue(int producer, long channels, int readers)
    {
        public int Producer { get; } = producer;

        public long Channels { get; } = channels;

        /// <summary>Readers of the value before the transform (a graph output counts as one).</summary>
        public int Readers { get; } = readers;

        /// <summary>Readers still reading it in the plain layout: a <c>ReorderOutput</c> is needed while above zero.</summary>
        public int PlainReaders { get; set; } = readers;
    }

    public static IReadOnlyList<Kernel> Apply(OnnxModelGraph model, IReadOnlyList<Kernel> kernels, int block)
    {
        // Identity and Dropout are gone from the graph: a reader of their output reads their input.
        var aliases = model.Nodes.Where(n => n.OpType is "Identity" or "Dropout" && n.Inputs.Count > 0)
            .ToDictionary(n => n.Outputs[0], n => n.Inputs[0], StringComparer.Ordinal);
        string Source(string value)
        {
            while (aliases.TryGetValue(value, out string? source))
            {
                value = source;
            }
            return value;
        }
        var inputs = kernels.Select(k => ComputedInputs(model, k).Select(Source).ToList()).ToList();
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string value in inputs.SelectMany(i => i))
        {
            readers[value] = readers.GetValueOrDefault(value) + 1;
        }
        foreach (string output in model.Outputs)
        {
            readers[output] = readers.GetValueOrDefault(output) + 1;
        }
        int Readers(string value) => readers.GetValueOrDefault(value);

        var blocked = new Dictionary<string, BlockedValue>(StringComparer.Ordinal);
        var reorderedInputs = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<Kernel>();

        // Reads `value` blocked: from its blocked producer, or through one shared ReorderInput.
        void ReadBlocked(string value, OnnxNode reader)
        {
            if (blocked.TryGetValue(value, out var input))
            {
                input.PlainReaders--;
            }
            else if (reorderedInputs.Add(value))
            {
                long[] shape = model.Shapes[value];
                result.Add(new Kernel(ReorderInput, [reader], null, shape, shape, Elements(shape)) { Blocked = true });
            }
        }

        void AddBlocked(Kernel kernel, long channels)
        {
            result.Add(kernel with { Blocked = true });
            blocked[Output(kernel)] = new BlockedValue(result.Count - 1, channels, Readers(Output(kernel)));
        }

        // A sole-reader blocked convolution without an activation, that a following node can fuse into.
        int? FusibleConvolution(BlockedValue value, bool accumulating)
            => result[value.Producer] is { Operator: BlockedConv, Activation: null } conv && value.Readers == 1 && !(accumulating && conv.Accumulates)
                ? value.Producer : null;

        for (int i = 0; i < kernels.Count; i++)
        {
            var kernel = kernels[i];
            var node = kernel.Anchor;
            if (kernel.Operator is "Conv" or "com.microsoft:FusedConv")
            {
                if (ConvolutionBlocks(model, node, block) is { } readsBlocked)
                {
                    if (readsBlocked)
                    {
                        ReadBlocked(Source(node.Inputs[0]), node);
                    }
                    AddBlocked(kernel with { Operator = BlockedConv }, model.Shapes[node.Inputs[1]][0]);
                    continue;
                }
            }
            else if ((kernel.Operator is "MaxPool" or "AveragePool" || kernel.Operator is "GlobalAveragePool" or "GlobalMaxPool" && blocked.ContainsKey(Source(node.Inputs[0])))
                     && PoolBlocks(model, node, block))
            {
                ReadBlocked(Source(node.Inputs[0]), node);
                AddBlocked(kernel with { Operator = $"{Domain}:{node.OpType}" }, model.Shapes[node.Inputs[0]][1]);
                continue;
            }
            else if (inputs[i].Count > 0 && inputs[i].All(blocked.ContainsKey) && node.Inputs.Any(v => v.Length > 0)
                     && TransformBlockedReader(model, kernel, Source, block, blocked, result, Readers, FusibleConvolution, AddBlocked))
            {
                continue;
            }
            result.Add(kernel);
        }

        // Every blocked value still read in the plain layout is reordered back once, after its producer.
        var reorders = blocked.Where(b => b.Value.PlainReaders > 0)
            .Select(b => (b.Value.Producer, Kernel: new Kernel(ReorderOutput, [result[b.Value.Producer].Anchor], null, model.Shapes[b.Key], model.Shapes[b.Key], Elements(model.Shapes[b.Key])) { Blocked = true }))
            .OrderByDescending(r => r.Producer).ToList();
        foreach (var (producer, reorder) in reorders)
        {
            result.Insert(producer + 1, reorder);
        }
        return result;
    }

    /// <summary>
    /// Transforms a kernel all of whose computed inputs are blocked; false when it stays plain.
    /// </summary>
    private static bool TransformBlockedReader(OnnxModelGraph model, Kernel kernel, Func<string, string> source, int block, Dictionary<string, BlockedValue> blocked, List<Kernel> result,
        Func<string, int> readers, Func<BlockedValue, bool, int?> fusibleConvolution, Action<Kernel, long> addBlocked)
    {
        var node = kernel.Anchor;
        string output = Output(kernel);
        if (kernel.Operator == "com.microsoft:QuickGelu")
        {
            // x · sigmoid(x): its Sigmoid and Mul were laid out before they fused, the Sigmoid not into
            // the convolution before it, which the Mul reads too.
            string x = source(node.Inputs[0]);
            var input = blocked[x];
            input.PlainReaders -= kernel.Nodes.Sum(n => n.Inputs.Count(v => v.Length > 0 && source(v) == x));
            addBlocked(kernel, input.Channels);
            return true;
        }
        if (kernel.Nodes.Count != 1)
        {
            return false;
        }
        var values = node.Inputs.Where(v => v.Length > 0).Select(source).ToList();
        switch (node.OpType)
        {
            case "Add" or "Sum" or "Mul":
            {
                // Every input blocked (a constant is not), of the same logical channels.
                if (!values.All(blocked.ContainsKey) || values.Select(v => blocked[v].Channels).Distinct().Count() != 1)
                {
                    return false;
                }
                long channels = blocked[values[0]].Channels;
                bool sameShapes = values.All(v => model.Shapes[v].SequenceEqual(model.Shapes[values[0]]));
                if (node.OpType == "Mul" && !sameShapes)
                {
                    return false;
                }
                foreach (string value in values)
                {
                    blocked[value].PlainReaders--;
                }
                if (!sameShapes)
                {
                    // Broadcast over blocks: each input reshaped to [N, C/block, H, W, block], the sum reshaped back.
                    foreach (string value in values)
                    {
                        result.Add(new Kernel("Reshape", [node], null, model.Shapes[value], model.Shapes[value], 0) { Blocked = true });
                    }
                    result.Add(kernel with { Blocked = true });
                    addBlocked(new Kernel("Reshape", [node], null, model.Shapes[output], model.Shapes[output], 0), channels);
                    return true;
                }
                if (node.OpType != "Mul" && values.Count == 2)
                {
                    for (int n = 0; n < 2; n++)
                    {
                        if (fusibleConvolution(blocked[values[n]], true) is { } producer)
                        {
                            var conv = result[producer];
                            result[producer] = conv with { Nodes = [.. conv.Nodes, node], Accumulates = true };
                            blocked[output] = new BlockedValue(producer, channels, readers(output));
                            return true;
                        }
                    }
                }
                addBlocked(kernel, channels);
                return true;
            }
            case "Concat" when node.Attributes.TryGetValue("axis", out var axis) && axis.I == 1:
            {
                if (!values.All(v => blocked.TryGetValue(v, out var b) && b.Channels % block == 0))
                {
                    return false;
                }
                foreach (string value in values)
                {
                    blocked[value].PlainReaders--;
                }
                addBlocked(kernel, values.Sum(v => blocked[v].Channels));
                return true;
            }
            case "Relu" or "Sigmoid" or "Tanh":
            {
                var input = blocked[values[0]];
                input.PlainReaders--;
                if (fusibleConvolution(input, false) is { } producer)
                {
                    var conv = result[producer];
                    result[producer] = conv with { Nodes = [.. conv.Nodes, node], Activation = node.OpType };
                    blocked[output] = new BlockedValue(producer, input.Channels, readers(output));
                }
                else
                {
                    addBlocked(kernel, input.Channels);
                }
                return true;
            }
            case "BatchNormalization":
            {
                var input = blocked[values[0]];
                bool perChannel = values.Skip(1).All(v => model.IsConstant(v) && model.Shapes[v] is [var c] && c == input.Channels);
                if (node.Outputs.Count > 1 || node.Int("spatial", 1) != 1 || !node.Attributes.ContainsKey("epsilon") || values.Count != 5 || !perChannel)
                {
                    return false;
                }
                input.PlainReaders--;
                addBlocked(kernel with { Operator = BlockedConv }, input.Channels);
                return true;
            }
            case "Transpose" when node.Ints("perm") is [0, 2, 3, 1]:
            {
                // Back to channels-last in one pass.
                blocked[values[0]].PlainReaders--;
                result.Add(kernel with { Operator = ReorderOutput, Blocked = true });
                return true;
            }
            case "Resize" or "Upsample" when NearestByWholeFactors(model, node):
            {
                var input = blocked[values[0]];
                input.PlainReaders--;
                addBlocked(kernel with { Operator = $"{Domain}:Upsample" }, input.Channels);
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>Whether a convolution runs blocked: null if not, else whether it reads its input blocked (false: a dense one with fewer input channels than a block reads it plain).</summary>
    internal static bool? ConvolutionBlocks(OnnxModelGraph model, OnnxNode conv, int block)
    {
        if (!model.Initializers.ContainsKey(conv.Inputs[1]) || model.Shapes[conv.Inputs[1]] is not [var output, var input, _, _]
            || conv.Input(2) is { } bias && !(model.Initializers.ContainsKey(bias) && model.Shapes[bias] is [var b] && b == output))
        {
            return null;
        }
        return ConvolutionBlocks(input, output, conv.Int("group", 1), block);
    }

    /// <summary>
    /// The channel rule of a blocked convolution, from its weights' shape [output, input per group, kH, kW]
    /// (ONNX Runtime 1.31, found by optimizing single convolutions): a dense one with fewer input
    /// channels than a block reads the plain input; with more, their count must be a multiple of
    /// <see cref="ChannelAlignment"/> (the last block is padded); a depthwise one needs its channels
    /// aligned; any other grouped one needs whole blocks per group, in and out.
    /// </summary>
    public static bool? ConvolutionBlocks(long inputPerGroup, long output, long groups, int block)
    {
        if (groups > 1)
        {
            bool depthwise = inputPerGroup == 1 && output == groups;
            bool blocks = depthwise ? output % ChannelAlignment == 0 : inputPerGroup % block == 0 && output % groups == 0 && output / groups % block == 0;
            return blocks ? true : null;
        }
        return inputPerGroup < block ? false : inputPerGroup % ChannelAlignment == 0 ? true : null;
    }

    /// <summary>Channel counts that blocked convolutions accept without whole blocks are multiples of this.</summary>
    public const int ChannelAlignment = 4;

    private static bool PoolBlocks(OnnxModelGraph model, OnnxNode pool, int block)
        => pool.Outputs.Count == 1 && model.Shapes.TryGetValue(pool.Inputs[0], out var shape) && shape.Length == 4 && shape[1] % block == 0;

    /// <summary>A Resize (or Upsample) by whole constant factors of the spatial axes only, nearest, asymmetric, rounding down.</summary>
    private static bool NearestByWholeFactors(OnnxModelGraph model, OnnxNode node)
    {
        if ((node.Text("mode") ?? "nearest") != "nearest")
        {
            return false;
        }
        string? scales;
        if (node.OpType == "Resize" && model.Opset >= 11)
        {
            if (node.Inputs.Count != 3 || node.Text("coordinate_transformation_mode") != "asymmetric" || node.Text("nearest_mode") != "floor")
            {
                return false;
            }
            scales = node.Input(2);
        }
        else
        {
            scales = node.Input(1);
        }
        return scales is not null && model.Initializers.ContainsKey(scales) && model.ConstantValues(scales) is [1, 1, var h, var w]
            && h >= 1 && w >= 1 && h == Math.Floor(h) && w == Math.Floor(w);
    }

    /// <summary>
    /// The values a kernel reads that a node computes or the graph receives (not constants), once for
    /// every node input reading it — as ONNX Runtime counts edges (an Add of x and x reads x twice) —
    /// except a Split, fused from Slices before the layout transform, which reads its input once.
    /// </summary>
    private static List<string> ComputedInputs(OnnxModelGraph model, Kernel kernel)
    {
        var inside = kernel.Nodes.SelectMany(n => n.Outputs).ToHashSet(StringComparer.Ordinal);
        var values = kernel.Nodes.SelectMany(n => n.Inputs).Where(v => v.Length > 0 && !inside.Contains(v) && !model.IsConstant(v));
        return (kernel.Operator == "Split" ? values.Distinct(StringComparer.Ordinal) : values).ToList();
    }

    private static string Output(Kernel kernel) => kernel.Nodes[^1].Outputs[0];

    private static long Elements(long[] shape) => shape.Aggregate(1L, (p, d) => p * d);
}
