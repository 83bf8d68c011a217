using System.Runtime.InteropServices;
using Google.Protobuf;
using LatencyNas.Core;
using LatencyNas.Onnx.Proto;

namespace LatencyNas.Onnx;

/// <summary>One node of a read model, with its attributes by name.</summary>
public sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, AttributeProto> Attributes)
{
    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) ? a.I : fallback;

    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out var a) ? a.F : fallback;

    public long[]? Ints(string name) => Attributes.TryGetValue(name, out var a) ? [.. a.Ints] : null;

    public string? Text(string name) => Attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : null;

    /// <summary>The i-th input, or null when it is absent or given as the empty name (an optional input left out).</summary>
    public string? Input(int i) => i < Inputs.Count && Inputs[i].Length > 0 ? Inputs[i] : null;

    public override string ToString() => $"node '{Name}' ({OpType})";
}

/// <summary>
/// An ONNX model read for analysis: its nodes in an order where every node follows its inputs, and
/// the static shape of every value, inferred from the graph inputs (a symbolic batch dimension
/// taken as the batch asked for; a fixed one is the model's) through the operators listed in <see cref="SupportedOperators"/>.
/// Small integer and float tensors computed from constants (shapes, axes, scales) are folded, so
/// that exports computing a Reshape's target with Shape, Gather and Concat are read too.
/// </summary>
public sealed class OnnxModelGraph
{
    /// <summary>Constant tensors of at most this many elements have their values tracked (shape arithmetic, not weights).</summary>
    private const int TrackedConstantSize = 64;

    public static readonly IReadOnlySet<string> SupportedOperators = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Equal", "Where",
        "Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "LeakyRelu", "Elu", "Selu", "Erf", "Sqrt", "Exp", "Neg", "Reciprocal", "Softplus",
        "Identity", "Dropout", "Cast", "Softmax", "LogSoftmax",
        "Concat", "Split", "Slice", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Pad", "Resize", "Upsample",
        "ReduceMean", "ReduceSum", "ReduceMax", "Shape", "Gather", "Constant", "ConstantOfShape",
    };

    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double[]> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _constantValues = new(StringComparer.Ordinal);

    private OnnxModelGraph(string source, int opset, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, TensorProto> initializers,
        IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
    {
        (Source, Opset, Nodes, Initializers, Inputs, Outputs) = (source, opset, nodes, initializers, inputs, outputs);
    }

    /// <summary>Where the model came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The default (<c>ai.onnx</c>) operator set the model imports.</summary>
    public int Opset { get; }

    public IReadOnlyList<OnnxNode> Nodes { get; }

    public IReadOnlyDictionary<string, TensorProto> Initializers { get; }

    /// <summary>The graph inputs that are not initializers.</summary>
    public IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The batch the model runs at: its inputs' fixed batch dimension, or the batch asked for a symbolic one (1 when none was asked for).</summary>
    public long Batch { get; private set; } = 1;

    /// <summary>The static shape of every value (graph inputs, initializers, node outputs).</summary>
    public IReadOnlyDictionary<string, long[]> Shapes => _shapes;

    /// <summary>Whether a value is known before the model runs (an initializer, or computed from initializers and static shapes only).</summary>
    public bool IsConstant(string value) => Initializers.ContainsKey(value) || _constants.ContainsKey(value) || _constantValues.Contains(value);

    /// <summary>The values of a small constant, or null when it is not one.</summary>
    public double[]? ConstantValues(string value) => _constants.TryGetValue(value, out var values) ? values : null;

    /// <param name="batch">The batch a symbolic batch dimension is taken as (null: 1); one that differs from a fixed batch dimension is refused.</param>
    /// <exception cref="InvalidInputException">Not a file, not an ONNX model, external data or an initializer whose data does not fit its dimensions,
    /// an unsupported operator or opset, a shape it cannot infer or that contradicts a node's weights, or a batch asked for that the model's fixed one is not.</exception>
    public static OnnxModelGraph Read(string path, long? batch = null)
    {
        if (Directory.Exists(path))
        {
            throw new InvalidInputException($"Cannot read the model '{path}': it is a folder; give the .onnx file.");
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new InvalidInputException($"Cannot read the model '{path}': {error.Message}");
        }
        return Read(bytes, path, batch);
    }

    /// <exception cref="InvalidInputException">See <see cref="Read(string, long)"/>.</exception>
    public static OnnxModelGraph Read(byte[] bytes, string source, long? batch = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch ?? 1, 1);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException error)
        {
            throw new InvalidInputException($"'{source}' is not an ONNX model ({error.Message}).");
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new InvalidInputException($"'{source}' is not an ONNX model: it has no graph.");
        }
        int opset = (int)(model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0);
        if (opset is < 7 or > 21)
        {
            throw new InvalidInputException($"'{source}' imports ai.onnx opset {opset}; LatencyNas reads opsets 7 to 21.");
        }
        var graph = model.Graph;
        foreach (var tensor in graph.Initializer)
        {
            if (tensor.DataLocation == 1 || tensor.ExternalData.Count > 0)
            {
                throw new InvalidInputException($"'{source}' keeps initializer '{tensor.Name}' in external data; save the model with its weights inside (onnx.save(..., save_as_external_data=False)).");
            }
            CheckData(tensor, $"'{source}': initializer '{tensor.Name}'");
        }
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        var nodes = Sorted(graph, source);
        var read = new OnnxModelGraph(source, opset, nodes, initializers, inputs, graph.Output.Select(o => o.Name).ToList());
        read.InferShapes(graph, batch);
        return read;
    }

    /// <summary>The nodes in an order where each follows the producers of its inputs (exports usually are; the specification requires it).</summary>
    private static List<OnnxNode> Sorted(GraphProto graph, string source)
    {
        var nodes = graph.Node.Select((n, i) => new OnnxNode(n.Name.Length > 0 ? n.Name : $"#{i} {n.OpType}", n.OpType, n.Domain, [.. n.Input], [.. n.Output],
            n.Attribute.GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal))).ToList();
        var available = new HashSet<string>(graph.Initializer.Select(t => t.Name).Concat(graph.Input.Select(i => i.Name)), StringComparer.Ordinal) { "" };
        var sorted = new List<OnnxNode>(nodes.Count);
        var pending = new List<OnnxNode>(nodes);
        while (pending.Count > 0)
        {
            var ready = pending.Where(n => n.Inputs.All(available.Contains)).ToList();
            if (ready.Count == 0)
            {
                var stuck = pending[0];
                string missing = stuck.Inputs.First(i => !available.Contains(i));
                throw new InvalidInputException($"'{source}': {stuck} reads '{missing}', which no node, input or initializer provides.");
            }
            foreach (var node in ready)
            {
                sorted.Add(node);
                available.UnionWith(node.Outputs);
            }
            pending.RemoveAll(ready.Contains);
        }
        return sorted;
    }

    /// <summary>Bytes per element of the types whose data is checked against the dimensions (null: another type, not checked).</summary>
    private static int? ElementSize(int type) => type switch
    {
        2 or 3 or 9 => 1, // uint8, int8, bool
        4 or 5 or 10 or 16 => 2, // uint16, int16, float16, bfloat16
        1 or 6 or 12 => 4, // float, int32, uint32
        7 or 11 or 13 or 14 => 8, // int64, double, uint64, complex64
        15 => 16, // complex128
        _ => null,
    };

    /// <summary>Refuses a tensor whose data holds more or fewer elements than its dimensions say (ONNX Runtime refuses such a model).</summary>
    private static void CheckData(TensorProto tensor, string what)
    {
        if (tensor.Dims.Any(d => d < 0))
        {
            throw new InvalidInputException($"{what} has a negative dimension in [{string.Join(", ", tensor.Dims)}].");
        }
        if (ElementSize(tensor.DataType) is not { } size)
        {
            return;
        }
        long count = tensor.Dims.Aggregate(1L, (p, d) => p * d);
        string dims = $"[{string.Join(", ", tensor.Dims)}]";
        if (tensor.HasRawData)
        {
            if (tensor.RawData.Length != count * size)
            {
                throw new InvalidInputException($"{what} holds {tensor.RawData.Length:N0} bytes of data where its dimensions {dims} need {count * size:N0}.");
            }
            return;
        }
        // Without raw data the values are in the field of the type: float_data (two per complex64), int32_data (the small types), int64_data, double_data.
        long? held = (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float => tensor.FloatData.Count,
            (TensorProto.Types.DataType)14 => tensor.FloatData.Count / 2,
            TensorProto.Types.DataType.Int64 => tensor.Int64Data.Count,
            TensorProto.Types.DataType.Double => tensor.DoubleData.Count,
            (TensorProto.Types.DataType)12 or (TensorProto.Types.DataType)13 or (TensorProto.Types.DataType)15 => null, // uint64_data, not read
            _ => tensor.Int32Data.Count,
        };
        if (held is { } values && values != count)
        {
            throw new InvalidInputException($"{what} holds {values:N0} values where its dimensions {dims} need {count:N0}.");
        }
    }

    private void InferShapes(GraphProto graph, long? batch)
    {
        foreach (var (name, tensor) in Initializers)
        {
            _shapes[name] = [.. tensor.Dims];
            if (tensor.Dims.Aggregate(1L, (p, d) => p * d) <= TrackedConstantSize && Values(tensor) is { } values)
            {
                _constants[name] = values;
            }
        }
        foreach (var input in graph.Input.Where(i => !Initializers.ContainsKey(i.Name)))
        {
            var dims = input.Type?.TensorType?.Shape?.Dim
                ?? throw new InvalidInputException($"'{Source}': input '{input.Name}' has no declared shape.");
            _shapes[input.Name] = dims.Select((d, axis) => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
                ? d.DimValue > 0
                    ? axis > 0 || batch is null || d.DimValue == batch
                        ? d.DimValue
                        : throw new InvalidInputException(
                            $"'{Source}': input '{input.Name}' has a fixed batch dimension of {d.DimValue}, so it cannot run at batch {batch}; leave the batch out, or export the model with a symbolic batch dimension.")
                    : throw new InvalidInputException(
                        $"'{Source}': input '{input.Name}' has an invalid dimension {axis} ({d.DimValue}); a dimension is a positive size or a symbol.")
                : axis == 0
                    ? batch ?? 1
                    : throw new InvalidInputException(
                        $"'{Source}': input '{input.Name}' has a dynamic dimension {axis} ('{d.DimParam}'); only the batch dimension may be symbolic. Export the model with a fixed input size.")).ToArray();
        }
        Batch = Inputs.Select(i => _shapes[i]).FirstOrDefault(s => s.Length > 0)?[0] ?? batch ?? 1;
        foreach (var node in Nodes)
        {
            if (node.Domain is not ("" or "ai.onnx") || !SupportedOperators.Contains(node.OpType))
            {
                throw new InvalidInputException(
                    $"'{Source}': {node} is an operator LatencyNas cannot handle{(node.Domain is "" or "ai.onnx" ? "" : $" (domain {node.Domain})")}. Supported: {string.Join(", ", SupportedOperators.Order())}.");
            }
            try
            {
                Infer(node);
            }
            catch (InconsistentNodeException error)
            {
                throw new InvalidInputException($"'{Source}': {node} does not fit its inputs, and ONNX Runtime refuses such a model: {error.Message}.");
            }
            catch (Exception error) when (error is IndexOutOfRangeException or ArgumentException or InvalidOperationException or KeyNotFoundException or DivideByZeroException)
            {
                throw new InvalidInputException($"'{Source}': cannot infer the output shape of {node}: {error.Message}");
            }
            if (node.OpType == "Constant" || node.Inputs.Where(i => i.Length > 0).All(IsConstant))
            {
                _constantValues.UnionWith(node.Outputs);
            }
        }
    }

    /// <summary>A node whose inputs disagree with each other or with its attributes (ONNX Runtime refuses to load or run it).</summary>
    private sealed class InconsistentNodeException(string message) : ArgumentException(message);

    private long[] Shape(string value) => _shapes.TryGetValue(value, out var shape)
        ? shape
        : throw new InvalidOperationException($"the shape of '{value}' is unknown");

    private double[] Constant(OnnxNode node, int input, string what) => node.Input(input) is { } name && ConstantValues(name) is { } values
        ? values
        : throw new InvalidInputException($"'{Source}': {node} takes its {what} from a value computed at run time; LatencyNas needs it constant (a dynamic shape).");

    private void Set(string output, long[] shape, double[]? values = null)
    {
        if (shape.Any(d => d < 0))
        {
            throw new InvalidOperationException($"a negative dimension in [{string.Join(", ", shape)}]");
        }
        _shapes[output] = shape;
        if (values is not null && values.Length <= TrackedConstantSize)
        {
            _constants[output] = values;
        }
    }

    private void Infer(OnnxNode node)
    {
        string output = node.Outputs[0];
        long[] x = node.Input(0) is { } first && node.OpType != "Constant" ? Shape(first) : [];
        switch (node.OpType)
        {
            case "Conv":
            {
                long[] w = Shape(node.Inputs[1]);
                CheckConvolution(node, x, w, isTransposed: false);
                Set(output, [x[0], w[0], .. Spatial(node, x, w[2..], isTransposed: false)]);
                break;
            }
            case "ConvTranspose":
            {
                long[] w = Shape(node.Inputs[1]);
                CheckConvolution(node, x, w, isTransposed: true);
                long channels = w[1] * node.Int("group", 1);
                long[]? given = node.Ints("output_shape");
                Set(output, [x[0], channels, .. given ?? Spatial(node, x, w[2..], isTransposed: true)]);
                break;
            }
            case "MaxPool" or "AveragePool":
                foreach (string o in node.Outputs.Where(o => o.Length > 0))
                {
                    Set(o, [x[0], x[1], .. Spatial(node, x, node.Ints("kernel_shape") ?? throw new ArgumentException("no kernel_shape"), isTransposed: false)]);
                }
                break;
            case "GlobalAveragePool" or "GlobalMaxPool":
                Set(output, [x[0], x[1], .. x[2..].Select(_ => 1L)]);
                break;
            case "Gemm":
            {
                long[] b = Shape(node.Inputs[1]);
                if (x.Length != 2 || b.Length != 2)
                {
                    throw new InconsistentNodeException($"Gemm multiplies matrices; A is [{string.Join(", ", x)}] and B [{string.Join(", ", b)}]");
                }
                long m = node.Int("transA", 0) == 1 ? x[1] : x[0];
                long n = node.Int("transB", 0) == 1 ? b[0] : b[1];
                long ka = node.Int("transA", 0) == 1 ? x[0] : x[1], kb = node.Int("transB", 0) == 1 ? b[1] : b[0];
                if (ka != kb)
                {
                    throw new InconsistentNodeException($"A [{string.Join(", ", x)}] has {ka} columns{(node.Int("transA", 0) == 1 ? " (transposed)" : "")} where B [{string.Join(", ", b)}] has {kb} rows{(node.Int("transB", 0) == 1 ? " (transposed)" : "")}");
                }
                Set(output, [m, n]);
                break;
            }
            case "MatMul":
                Set(output, MatMul(x, Shape(node.Inputs[1])));
                break;
            case "BatchNormalization" or "Relu" or "Clip" or "Sigmoid" or "HardSigmoid" or "HardSwish" or "Tanh" or "LeakyRelu" or "Elu" or "Selu"
                or "Erf" or "Sqrt" or "Exp" or "Neg" or "Reciprocal" or "Softplus" or "Softmax" or "LogSoftmax" or "Identity" or "Dropout":
                Set(output, x, node.OpType is "Identity" or "Dropout" && node.Input(0) is { } same ? ConstantValues(same) : null);
                if (node.OpType == "Dropout" && node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
                {
                    Set(node.Outputs[1], x);
                }
                break;
            case "Cast":
                Set(output, x, ConstantValues(node.Inputs[0]));
                break;
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Max" or "Min" or "Sum" or "Mean" or "PRelu" or "Equal" or "Where":
            {
                var shapes = node.Inputs.Where(i => i.Length > 0).Select(Shape).ToList();
                Set(output, shapes.Aggregate(Broadcast), Elementwise(node));
                break;
            }
            case "Concat":
            {
                var shapes = node.Inputs.Where(i => i.Length > 0).Select(Shape).ToList();
                int axis = Axis(node.Int("axis", 0), x.Length);
                long[] shape = [.. x];
                shape[axis] = shapes.Sum(s => s[axis]);
                var values = node.Inputs.All(i => ConstantValues(i) is not null) && x.Length == 1 ? node.Inputs.SelectMany(i => ConstantValues(i)!).ToArray() : null;
                Set(output, shape, values);
                break;
            }
            case "Split":
            {
                int axis = Axis(node.Int("axis", 0), x.Length);
                long[] parts = node.Input(1) is not null
                    ? Constant(node, 1, "split sizes").Select(v => (long)v).ToArray()
                    : node.Ints("split") ?? EqualParts(x[axis], node.Outputs.Count);
                for (int i = 0; i < node.Outputs.Count; i++)
                {
                    long[] shape = [.. x];
                    shape[axis] = parts[i];
                    Set(node.Outputs[i], shape);
                }
                break;
            }
            case "Slice":
                Set(output, Slice(node, x, out var sliced), sliced);
                break;
            case "Reshape":
            {
                long[] target = Constant(node, 1, "target shape").Select(v => (long)v).ToArray();
                long total = x.Aggregate(1L, (p, d) => p * d);
                for (int i = 0; i < target.Length; i++)
                {
                    if (target[i] == 0 && node.Int("allowzero", 0) == 0)
                    {
                        target[i] = x[i];
                    }
                }
                int unknown = Array.IndexOf(target, -1L);
                if (unknown >= 0)
                {
                    target[unknown] = total / target.Where((_, i) => i != unknown).Aggregate(1L, (p, d) => p * d);
                }
                if (target.Aggregate(1L, (p, d) => p * d) != total)
                {
                    throw new ArgumentException($"[{string.Join(", ", x)}] cannot be reshaped to [{string.Join(", ", target)}]");
                }
                Set(output, target, ConstantValues(node.Inputs[0]));
                break;
            }
            case "Flatten":
            {
                int axis = Axis(node.Int("axis", 1), x.Length + 1);
                Set(output, [x[..axis].Aggregate(1L, (p, d) => p * d), x[axis..].Aggregate(1L, (p, d) => p * d)]);
                break;
            }
            case "Transpose":
            {
                long[] perm = node.Ints("perm") ?? Enumerable.Range(0, x.Length).Reverse().Select(i => (long)i).ToArray();
                Set(output, perm.Select(p => x[p]).ToArray());
                break;
            }
            case "Squeeze":
            {
                var axes = SqueezeAxes(node, x.Length);
                long[] shape = axes is null ? x.Where(d => d != 1).ToArray() : x.Where((_, i) => !axes.Contains(i)).ToArray();
                Set(output, shape, ConstantValues(node.Inputs[0]));
                break;
            }
            case "Unsqueeze":
            {
                long[] raw = node.Ints("axes") ?? Constant(node, 1, "axes").Select(v => (long)v).ToArray();
                int rank = x.Length + raw.Length;
                var axes = raw.Select(a => Axis(a, rank)).ToHashSet();
                var shape = new List<long>();
                int source = 0;
                for (int i = 0; i < rank; i++)
                {
                    shape.Add(axes.Contains(i) ? 1 : x[source++]);
                }
                Set(output, [.. shape], ConstantValues(node.Inputs[0]));
                break;
            }
            case "Pad":
            {
                long[] pads = node.Ints("pads") ?? Constant(node, 1, "pads").Select(v => (long)v).ToArray();
                long[] shape = [.. x];
                long[] axes = node.Input(3) is not null ? Constant(node, 3, "axes").Select(v => (long)Axis((long)v, x.Length)).ToArray() : Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray();
                for (int i = 0; i < axes.Length; i++)
                {
                    shape[axes[i]] += pads[i] + pads[i + axes.Length];
                }
                Set(output, shape);
                break;
            }
            case "Resize" or "Upsample":
            {
                long[] shape;
                int scalesInput = node.OpType == "Upsample" ? 1 : node.Inputs.Count > 2 && Opset >= 11 ? 2 : 1;
                if (node.OpType == "Resize" && node.Input(3) is not null)
                {
                    shape = Constant(node, 3, "sizes").Select(v => (long)v).ToArray();
                }
                else
                {
                    double[] scales = node.Attributes.ContainsKey("scales") ? [.. node.Attributes["scales"].Floats.Select(f => (double)f)] : Constant(node, scalesInput, "scales");
                    shape = x.Select((d, i) => (long)Math.Floor(d * scales[i])).ToArray();
                }
                Set(output, shape);
                break;
            }
            case "ReduceMean" or "ReduceSum" or "ReduceMax":
            {
                long[]? raw = node.Ints("axes") ?? (node.Input(1) is not null ? Constant(node, 1, "axes").Select(v => (long)v).ToArray() : null);
                var axes = (raw ?? Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray()).Select(a => Axis(a, x.Length)).ToHashSet();
                bool keep = node.Int("keepdims", 1) == 1;
                Set(output, keep ? x.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray() : x.Where((_, i) => !axes.Contains(i)).ToArray());
                break;
            }
            case "Shape":
            {
                int rank = x.Length;
                int start = Math.Clamp(Axis(node.Int("start", 0), rank, clamp: true), 0, rank);
                int end = Math.Clamp(Axis(node.Int("end", rank), rank, clamp: true), 0, rank);
                var dims = x[start..Math.Max(start, end)];
                Set(output, [dims.Length], dims.Select(d => (double)d).ToArray());
                break;
            }
            case "Gather":
            {
                long[] indices = Shape(node.Inputs[1]);
                int axis = Axis(node.Int("axis", 0), x.Length);
                long[] shape = [.. x[..axis], .. indices, .. x[(axis + 1)..]];
                double[]? values = null;
                if (x.Length == 1 && ConstantValues(node.Inputs[0]) is { } data && ConstantValues(node.Inputs[1]) is { } at)
                {
                    values = at.Select(i => data[i < 0 ? (int)i + data.Length : (int)i]).ToArray();
                }
                Set(output, shape, values);
                break;
            }
            case "Constant":
            {
                var tensor = node.Attributes.TryGetValue("value", out var attribute) ? attribute.T : null;
                if (tensor is not null)
                {
                    CheckData(tensor, $"'{Source}': {node}'s value");
                    Set(output, [.. tensor.Dims], Values(tensor));
                }
                else if (node.Attributes.TryGetValue("value_ints", out var ints))
                {
                    Set(output, [ints.Ints.Count], ints.Ints.Select(i => (double)i).ToArray());
                }
                else if (node.Attributes.TryGetValue("value_int", out var one))
                {
                    Set(output, [], [one.I]);
                }
                else if (node.Attributes.TryGetValue("value_float", out var f))
                {
                    Set(output, [], [f.F]);
                }
                else if (node.Attributes.TryGetValue("value_floats", out var floats))
                {
                    Set(output, [floats.Floats.Count], floats.Floats.Select(v => (double)v).ToArray());
                }
                else
                {
                    throw new ArgumentException("a Constant without a value LatencyNas reads");
                }
                break;
            }
            case "ConstantOfShape":
            {
                long[] shape = Constant(node, 0, "shape").Select(v => (long)v).ToArray();
                double fill = node.Attributes.TryGetValue("value", out var value) && Values(value.T) is { Length: > 0 } v ? v[0] : 0;
                long count = shape.Aggregate(1L, (p, d) => p * d);
                Set(output, shape, count <= TrackedConstantSize ? Enumerable.Repeat(fill, (int)count).ToArray() : null);
                break;
            }
            default:
                throw new InvalidOperationException("no shape rule");
        }
    }

    /// <summary>
    /// Refuses a convolution whose input and weights disagree, as ONNX Runtime does: the weights' rank is the input's (batch,
    /// channels and as many spatial dims as the kernel has), the groups divide the channels in and out, and the input's channels
    /// are the weights' (per group) times the groups — for ConvTranspose, the weights' first dimension.
    /// </summary>
    private static void CheckConvolution(OnnxNode node, long[] x, long[] w, bool isTransposed)
    {
        string Dims(long[] shape) => $"[{string.Join(", ", shape)}]";
        if (x.Length < 3 || w.Length != x.Length)
        {
            throw new InconsistentNodeException($"input {Dims(x)} and weights {Dims(w)} differ in rank; a convolution of {Math.Max(0, w.Length - 2)} spatial dims takes an input of rank {w.Length}");
        }
        if (node.Ints("kernel_shape") is { } kernel && !kernel.SequenceEqual(w[2..]))
        {
            throw new InconsistentNodeException($"kernel_shape [{string.Join(", ", kernel)}] is not the weights' spatial size {Dims(w[2..])}");
        }
        int spatial = x.Length - 2;
        foreach (var (name, length) in new[] { ("strides", spatial), ("dilations", spatial), ("pads", 2 * spatial) })
        {
            if (node.Ints(name) is { } values && values.Length != length)
            {
                throw new InconsistentNodeException($"{name} has {values.Length} values where an input of {spatial} spatial dims needs {length}");
            }
            if (name != "pads" && node.Ints(name) is { } steps && steps.Any(v => v < 1))
            {
                throw new InconsistentNodeException($"{name} [{string.Join(", ", steps)}] are not all positive");
            }
        }
        long group = node.Int("group", 1);
        long channels = x[1];
        long expected = isTransposed ? w[0] : w[1] * group;
        if (group < 1 || channels % group != 0)
        {
            throw new InconsistentNodeException($"group {group} does not divide the input's {channels} channels");
        }
        if (!isTransposed && w[0] % group != 0)
        {
            throw new InconsistentNodeException($"group {group} does not divide the weights' {w[0]} output channels {Dims(w)}");
        }
        if (channels != expected)
        {
            throw new InconsistentNodeException(isTransposed
                ? $"the input has {channels} channels where the weights {Dims(w)} take {expected}"
                : $"the input has {channels} channels where the weights {Dims(w)} take {w[1]} per group × {group} group{(group == 1 ? "" : "s")} = {expected}");
        }
    }

    /// <summary>Output spatial sizes of a convolution or pooling over the input's spatial dims.</summary>
    private static long[] Spatial(OnnxNode node, long[] x, long[] kernel, bool isTransposed)
    {
        int dims = x.Length - 2;
        if (dims < 1 || kernel.Length != dims)
        {
            throw new InconsistentNodeException($"a kernel of {kernel.Length} spatial dims [{string.Join(", ", kernel)}] over an input [{string.Join(", ", x)}] of {Math.Max(0, dims)}");
        }
        long[] strides = node.Ints("strides") ?? Enumerable.Repeat(1L, dims).ToArray();
        long[] dilations = node.Ints("dilations") ?? Enumerable.Repeat(1L, dims).ToArray();
        long[] pads = node.Ints("pads") ?? new long[2 * dims];
        string autoPad = node.Text("auto_pad") ?? "NOTSET";
        bool ceil = node.Int("ceil_mode", 0) == 1;
        var output = new long[dims];
        for (int i = 0; i < dims; i++)
        {
            long input = x[i + 2];
            long effective = dilations[i] * (kernel[i] - 1) + 1;
            if (isTransposed)
            {
                long[] outputPadding = node.Ints("output_padding") ?? new long[dims];
                output[i] = autoPad is "SAME_UPPER" or "SAME_LOWER"
                    ? input * strides[i]
                    : strides[i] * (input - 1) + outputPadding[i] + effective - pads[i] - pads[i + dims];
                continue;
            }
            output[i] = autoPad switch
            {
                "SAME_UPPER" or "SAME_LOWER" => (input + strides[i] - 1) / strides[i],
                "VALID" => (input - effective) / strides[i] + 1,
                _ => ceil
                    ? (long)Math.Ceiling((double)(input + pads[i] + pads[i + dims] - effective) / strides[i]) + 1
                    : (input + pads[i] + pads[i + dims] - effective) / strides[i] + 1,
            };
        }
        return output;
    }

    private static long[] MatMul(long[] a, long[] b)
    {
        bool vectorA = a.Length == 1, vectorB = b.Length == 1;
        long[] left = vectorA ? [1, a[0]] : a, right = vectorB ? [b[0], 1] : b;
        if (left[^1] != right[^2])
        {
            throw new InconsistentNodeException($"[{string.Join(", ", a)}] × [{string.Join(", ", b)}]: inner dimensions differ");
        }
        long[] batch = Broadcast(left[..^2], right[..^2]);
        var shape = new List<long>(batch);
        if (!vectorA) shape.Add(left[^2]);
        if (!vectorB) shape.Add(right[^1]);
        return [.. shape];
    }

    /// <summary>Multidirectional (numpy) broadcasting.</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            shape[i] = da == db || db == 1 ? da : da == 1 ? db : throw new InconsistentNodeException($"[{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast");
        }
        return shape;
    }

    /// <summary>Elementwise arithmetic on small constants of equal length (or a scalar), as shape computations do.</summary>
    private double[]? Elementwise(OnnxNode node)
    {
        if (node.Inputs.Count != 2 || ConstantValues(node.Inputs[0]) is not { } a || ConstantValues(node.Inputs[1]) is not { } b || (a.Length != b.Length && a.Length != 1 && b.Length != 1))
        {
            return null;
        }
        int length = Math.Max(a.Length, b.Length);
        Func<double, double, double>? f = node.OpType switch
        {
            "Add" => (p, q) => p + q,
            "Sub" => (p, q) => p - q,
            "Mul" => (p, q) => p * q,
            "Div" => (p, q) => p / q,
            _ => null,
        };
        return f is null ? null : Enumerable.Range(0, length).Select(i => f(a[a.Length == 1 ? 0 : i], b[b.Length == 1 ? 0 : i])).ToArray();
    }

    private long[] Slice(OnnxNode node, long[] x, out double[]? values)
    {
        long[] starts, ends, axes, steps;
        if (Opset < 10)
        {
            starts = node.Ints("starts")!;
            ends = node.Ints("ends")!;
            axes = node.Ints("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = Constant(node, 1, "starts").Select(Whole).ToArray();
            ends = Constant(node, 2, "ends").Select(Whole).ToArray();
            axes = node.Input(3) is not null ? Constant(node, 3, "axes").Select(v => (long)v).ToArray() : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = node.Input(4) is not null ? Constant(node, 4, "steps").Select(v => (long)v).ToArray() : Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        long[] shape = [.. x];
        var ranges = new (long Start, long End, long Step)[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            ranges[i] = (0, x[i], 1);
        }
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = Axis(axes[i], x.Length);
            long size = x[axis], step = steps[i];
            long start = starts[i] < 0 ? starts[i] + size : starts[i];
            long end = ends[i] < 0 ? ends[i] + size : ends[i];
            (start, end) = step > 0 ? (Math.Clamp(start, 0, size), Math.Clamp(end, 0, size)) : (Math.Clamp(start, 0, size - 1), Math.Clamp(end, -1, size - 1));
            shape[axis] = step > 0 ? Math.Max(0, (end - start + step - 1) / step) : Math.Max(0, (start - end - step - 1) / -step);
            ranges[axis] = (start, end, step);
        }
        values = null;
        if (x.Length == 1 && ConstantValues(node.Inputs[0]) is { } data)
        {
            var (start, _, step) = ranges[0];
            values = Enumerable.Range(0, (int)shape[0]).Select(k => data[start + k * step]).ToArray();
        }
        return shape;
    }

    /// <summary>An int64 bound as a long, INT64_MAX-like bounds (exported as "to the end") clamped.</summary>
    private static long Whole(double value) => value >= long.MaxValue / 2.0 ? long.MaxValue / 2 : value <= long.MinValue / 2.0 ? long.MinValue / 2 : (long)value;

    private HashSet<int>? SqueezeAxes(OnnxNode node, int rank)
    {
        long[]? raw = node.Ints("axes") ?? (node.Input(1) is not null ? Constant(node, 1, "axes").Select(v => (long)v).ToArray() : null);
        return raw?.Select(a => Axis(a, rank)).ToHashSet();
    }

    private static long[] EqualParts(long size, int parts) => Enumerable.Range(0, parts).Select(i => size / parts + (i < size % parts ? 1 : 0)).ToArray();

    private static int Axis(long axis, int rank, bool clamp = false)
    {
        long resolved = axis < 0 ? axis + rank : axis;
        if (!clamp && (resolved < 0 || resolved >= rank))
        {
            throw new ArgumentException($"axis {axis} is outside a tensor of rank {rank}");
        }
        return (int)resolved;
    }

    /// <summary>The values of a tensor of a numeric type, or null for another type.</summary>
    private static double[]? Values(TensorProto tensor)
    {
        var raw = tensor.RawData.Span;
        return (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Int64 => raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray().Select(v => (double)v).ToArray() : tensor.Int64Data.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Int32 => raw.Length > 0 ? MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (double)v).ToArray() : tensor.Int32Data.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Float => raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray().Select(v => (double)v).ToArray() : tensor.FloatData.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Double => raw.Length > 0 ? MemoryMarshal.Cast<byte, double>(raw).ToArray() : [.. tensor.DoubleData],
            _ => null,
        };
    }
}
