using System.Runtime.InteropServices;
using Google.Protobuf;
using LatencyNas.Onnx.Proto;

namespace LatencyNas.Onnx;

/// <summary>
/// Writes one ONNX graph: nodes, initializers, inputs and outputs, then the model around it.
/// Every node has one output, named after the node. The same computation is written once: a node
/// with the operator, inputs and attributes of one already written is not written again, and its
/// value is reused.
/// </summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _computed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _int64Constants = new(StringComparer.Ordinal);

    public OnnxGraph(string name)
    {
        Proto = new GraphProto { Name = name };
    }

    /// <summary>The graph as written so far.</summary>
    public GraphProto Proto { get; }

    /// <summary>Declares a graph input; a dimension given as a string is symbolic (e.g. the batch size "N").</summary>
    public void Input(string name, TensorProto.Types.DataType type, params object[] shape) => Proto.Input.Add(Value(name, type, shape));

    /// <summary>Declares a graph output whose shape the graph does not state (a runtime infers it).</summary>
    public void UnshapedOutput(string name, TensorProto.Types.DataType type)
        => Proto.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } });

    /// <summary>Declares a graph output; see <see cref="Input"/> for the shape.</summary>
    public void Output(string name, TensorProto.Types.DataType type, params object[] shape) => Proto.Output.Add(Value(name, type, shape));

    /// <summary>Writes a node of the default (<c>ai.onnx</c>) domain and returns its output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, string hint, params AttributeProto[] attributes)
        => Node("", opType, inputs, hint, attributes);

    /// <summary>Writes a node of <paramref name="domain"/> (e.g. <c>ai.onnx.ml</c>) and returns its output's name.</summary>
    public string Node(string domain, string opType, IReadOnlyList<string> inputs, string hint, params AttributeProto[] attributes)
    {
        string computation = $"{domain}:{opType}({string.Join(",", inputs)}){string.Concat(attributes.Select(a => a.ToByteString().ToBase64()))}";
        if (_computed.TryGetValue(computation, out string? existing))
        {
            return existing;
        }
        string name = UniqueName(hint + "/" + opType);
        _computed[computation] = name;
        var node = new NodeProto { Name = name, OpType = opType };
        if (domain.Length > 0)
        {
            node.Domain = domain;
        }
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return name;
    }

    /// <summary>Renames the output of the node that computes <paramref name="value"/> (and every use of it) to <paramref name="name"/>.</summary>
    public void Rename(string value, string name)
    {
        foreach (var node in Proto.Node)
        {
            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == value)
                {
                    node.Output[i] = name;
                }
            }
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == value)
                {
                    node.Input[i] = name;
                }
            }
        }
    }

    public string Initializer(string hint, ReadOnlySpan<float> values, params long[] dims)
        => AddInitializer(hint, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims);

    public string Initializer(string hint, ReadOnlySpan<double> values, params long[] dims)
        => AddInitializer(hint, TensorProto.Types.DataType.Double, MemoryMarshal.AsBytes(values), dims);

    public string Initializer(string hint, ReadOnlySpan<long> values, params long[] dims)
        => AddInitializer(hint, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), dims);

    /// <summary>A 1-D int64 initializer (a shape or axes operand); equal constants share one initializer.</summary>
    public string Int64Constant(IReadOnlyList<long> values)
    {
        string key = string.Join(",", values);
        if (!_int64Constants.TryGetValue(key, out string? name))
        {
            // In int64_data rather than raw bytes: a reader sees the shape it operates with.
            name = UniqueName("const/int64");
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            proto.Dims.Add(values.Count);
            proto.Int64Data.AddRange(values);
            Proto.Initializer.Add(proto);
            _int64Constants[key] = name;
        }
        return name;
    }

    /// <summary>The model: this graph with its operator sets, producer and metadata properties.</summary>
    public byte[] ToModel(int irVersion, IReadOnlyDictionary<string, int> opsets, string producerVersion, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = "LatencyNas",
            ProducerVersion = producerVersion,
            Graph = Proto,
        };
        foreach (var (domain, version) in opsets)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        return model.ToByteArray();
    }

    public static AttributeProto Attribute(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, float value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attribute(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attribute(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Attribute(string name, IEnumerable<string> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    /// <summary>A tensor-valued attribute (e.g. the <c>*_as_tensor</c> attributes of <c>ai.onnx.ml</c> opset 3).</summary>
    public static AttributeProto TensorAttribute(string name, ReadOnlySpan<double> values)
    {
        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Double, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.Add(values.Length);
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = tensor };
    }

    private string AddInitializer(string hint, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        // ONNX stores raw data little-endian, as every platform .NET and ONNX Runtime run on is.
        string name = UniqueName(hint);
        var proto = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        proto.Dims.AddRange(dims);
        Proto.Initializer.Add(proto);
        return name;
    }

    private string UniqueName(string hint)
    {
        int count = _nameCounts.TryGetValue(hint, out int seen) ? seen + 1 : 0;
        _nameCounts[hint] = count;
        return count == 0 ? hint : $"{hint}_{count}";
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, object[] shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (object dimension in shape)
        {
            tensorType.Shape.Dim.Add(dimension switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"A dimension is a size or a symbol, not {dimension.GetType().Name}.", nameof(shape)),
            });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
