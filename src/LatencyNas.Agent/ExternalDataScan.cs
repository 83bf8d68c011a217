namespace LatencyNas.Agent;

/// <summary>
/// Finds tensors that keep their data outside an ONNX model (<c>data_location = EXTERNAL</c> or an
/// <c>external_data</c> entry) by walking the protobuf wire format, before ONNX Runtime sees the
/// bytes. ONNX Runtime would resolve such a path against the agent's working folder, so an
/// uploaded model could read a file of the agent's machine, or learn whether it exists. Walks
/// every place a tensor can sit: initializers, sparse initializers, node attributes, subgraphs,
/// functions and training graphs.
/// </summary>
public static class ExternalDataScan
{
    private const int MaxDepth = 64;

    // Field numbers of onnx.proto.
    private enum Message { Model, Graph, Node, Attribute, Tensor, SparseTensor, Function, TrainingInfo }

    /// <returns>Why the model may not be measured (a tensor with external data, or bytes that are not a model), or null when it may.</returns>
    public static string? Problem(ReadOnlySpan<byte> model)
    {
        try
        {
            return Walk(model, Message.Model, depth: 0);
        }
        catch (FormatException error)
        {
            return $"the model was rejected: it is not valid ONNX protobuf ({error.Message})";
        }
    }

    private static string? Walk(ReadOnlySpan<byte> bytes, Message message, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException($"subgraphs nested deeper than {MaxDepth}");
        }
        int position = 0;
        string? tensorName = null;
        while (position < bytes.Length)
        {
            ulong tag = ReadVarint(bytes, ref position);
            int field = (int)(tag >> 3);
            int wireType = (int)(tag & 7);
            if (message == Message.Tensor && field == 14 && wireType == 0)
            {
                if (ReadVarint(bytes, ref position) == 1)
                {
                    return $"tensor '{tensorName ?? "?"}' keeps its data outside the model (data_location EXTERNAL); the agent measures self-contained models only";
                }
            }
            else if (wireType == 2)
            {
                var content = LengthDelimited(bytes, ref position);
                if (message == Message.Tensor && field == 8)
                {
                    tensorName = System.Text.Encoding.UTF8.GetString(content);
                }
                else if (message == Message.Tensor && field == 13)
                {
                    return $"tensor '{tensorName ?? "?"}' keeps its data outside the model (external_data); the agent measures self-contained models only";
                }
                else if (Child(message, field) is { } child && Walk(content, child, depth + 1) is { } problem)
                {
                    return problem;
                }
            }
            else
            {
                SkipValue(bytes, ref position, wireType, field, depth);
            }
        }
        return null;
    }

    private static Message? Child(Message parent, int field) => (parent, field) switch
    {
        (Message.Model, 7) => Message.Graph,
        (Message.Model, 20) => Message.TrainingInfo,
        (Message.Model, 25) => Message.Function,
        (Message.Graph, 1) => Message.Node,
        (Message.Graph, 5) => Message.Tensor,
        (Message.Graph, 15) => Message.SparseTensor,
        (Message.Node, 5) => Message.Attribute,
        (Message.Function, 7) => Message.Node,
        (Message.Function, 11) => Message.Attribute,
        (Message.Attribute, 5 or 10) => Message.Tensor,
        (Message.Attribute, 6 or 11) => Message.Graph,
        (Message.Attribute, 22 or 23) => Message.SparseTensor,
        (Message.SparseTensor, 1 or 2) => Message.Tensor,
        (Message.TrainingInfo, 1 or 2) => Message.Graph,
        _ => null,
    };

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= bytes.Length)
            {
                throw new FormatException("a number runs past the end");
            }
            byte b = bytes[position++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        throw new FormatException("a number longer than 10 bytes");
    }

    /// <summary>Skips one value of any wire type; a group (deprecated, and no ONNX field is one) is skipped whole, as a parser would.</summary>
    private static void SkipValue(ReadOnlySpan<byte> bytes, ref int position, int wireType, int field, int depth)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint(bytes, ref position);
                break;
            case 1:
                Skip(bytes, ref position, 8);
                break;
            case 2:
                LengthDelimited(bytes, ref position);
                break;
            case 3:
                if (depth > MaxDepth)
                {
                    throw new FormatException($"groups nested deeper than {MaxDepth}");
                }
                while (true)
                {
                    ulong tag = ReadVarint(bytes, ref position);
                    if ((tag & 7) == 4)
                    {
                        if ((int)(tag >> 3) != field)
                        {
                            throw new FormatException($"an unmatched group end in field {field}");
                        }
                        return;
                    }
                    SkipValue(bytes, ref position, (int)(tag & 7), (int)(tag >> 3), depth + 1);
                }
            case 5:
                Skip(bytes, ref position, 4);
                break;
            default:
                throw new FormatException($"wire type {wireType} of field {field}");
        }
    }

    private static ReadOnlySpan<byte> LengthDelimited(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong length = ReadVarint(bytes, ref position);
        if (length > (ulong)(bytes.Length - position))
        {
            throw new FormatException("a field runs past the end");
        }
        var content = bytes.Slice(position, (int)length);
        position += (int)length;
        return content;
    }

    private static void Skip(ReadOnlySpan<byte> bytes, ref int position, int count)
    {
        if (bytes.Length - position < count)
        {
            throw new FormatException("a field runs past the end");
        }
        position += count;
    }
}
