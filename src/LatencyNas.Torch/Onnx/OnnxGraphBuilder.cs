using System.Runtime.InteropServices;
using LatencyNas.Onnx;
using static LatencyNas.Onnx.OnnxGraph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Onnx;

/// <summary>
/// Accumulates the nodes and initializers of one ONNX graph while <see cref="OnnxExporter"/> walks
/// a TorchSharp module tree. Standard layers (Sequential, Conv2d including grouped and depthwise,
/// BatchNorm2d, ReLU, AvgPool2d, AdaptiveAvgPool2d(1), Linear, Identity) are translated here from their public properties and
/// parameters; composite modules describe their own wiring through <see cref="IOnnxExportable"/>.
/// The same computation is written once (<see cref="OnnxGraph"/>): the ReLU that every edge leaving
/// a cell node applies to it is one node.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly OnnxGraph _graph;
    private readonly Dictionary<nn.Module, string> _modulePaths = new(ReferenceEqualityComparer.Instance);
    private string? _zeroScalar;

    internal OnnxGraphBuilder(OnnxGraph graph, nn.Module root)
    {
        _graph = graph;
        foreach (var (name, module) in root.named_modules())
        {
            _modulePaths.TryAdd(module, name);
        }
        _modulePaths[root] = "model";
    }

    /// <summary>Writes <paramref name="module"/> applied to <paramref name="input"/> and returns the output's value name.</summary>
    /// <exception cref="NotSupportedException">The module is of a kind the exporter cannot translate.</exception>
    public string Emit(nn.Module module, string input) => module switch
    {
        IOnnxExportable composite => composite.ExportOnnx(this, input),
        Sequential sequence => EmitSequence(sequence, input),
        Conv2d convolution => EmitConvolution(convolution, input),
        BatchNorm2d norm => EmitBatchNorm(norm, input),
        ReLU => _graph.Node("Relu", [input], PathOf(module)),
        AvgPool2d pool => EmitAveragePool(pool, input),
        AdaptiveAvgPool2d pool when pool.output_size.All(size => size == 1) => _graph.Node("GlobalAveragePool", [input], PathOf(module)),
        Linear linear => EmitLinear(linear, input),
        Identity => input,
        _ => throw new NotSupportedException(
            $"The ONNX exporter cannot translate module '{PathOf(module)}' of type {module.GetType().Name}; " +
            $"implement {nameof(IOnnxExportable)} on it or add a translation to {nameof(OnnxGraphBuilder)}."),
    };

    /// <summary>
    /// Element-wise sum of one or more values, in their order, as a chain of binary <c>Add</c>s
    /// ((a + b) + c, as PyTorch's export writes a Python sum); a single value is returned unchanged.
    /// </summary>
    /// <remarks>
    /// Not one n-ary <c>Sum</c>: ONNX Runtime's CPU optimizer folds an <c>Add</c> into the convolution
    /// that produces one of its inputs (the convolution accumulates into the other), but not a
    /// <c>Sum</c>, which stays a separate pass over memory. One <c>Sum</c> per NB201 cell made
    /// <c>121212</c> 1.13–1.20× slower than the same network with <c>Add</c>s.
    /// </remarks>
    public string Sum(IReadOnlyList<string> inputs, string hint)
    {
        if (inputs.Count == 0)
        {
            throw new ArgumentException("A sum needs at least one input.", nameof(inputs));
        }
        string total = inputs[0];
        for (int i = 1; i < inputs.Count; i++)
        {
            total = _graph.Node("Add", [total, inputs[i]], hint);
        }
        return total;
    }

    /// <summary>
    /// A zero tensor shaped like <paramref name="like"/>, computed as <c>like · 0</c> so that it keeps
    /// its data dependence (nothing upstream becomes dead and gets pruned by a runtime).
    /// </summary>
    public string ZerosLike(string like, string hint)
    {
        if (_zeroScalar is null)
        {
            using var zero = tensor(0.0f);
            _zeroScalar = Initializer("zero", zero);
        }
        return _graph.Node("Mul", [like, _zeroScalar], hint);
    }

    /// <summary>
    /// ShuffleNet's channel shuffle of <paramref name="groups"/> groups on an [N, C, H, W] value of
    /// known C, H and W: Reshape to [N, G, C/G, H, W], swap dims 1 and 2, Reshape back. The batch
    /// dimension is written as 0 (copied from the input), so the same graph serves any batch size.
    /// </summary>
    public string ChannelShuffle(string input, long groups, long channels, long height, long width, string hint)
    {
        if (groups < 1 || channels % groups != 0)
        {
            throw new ArgumentException($"{channels} channels cannot be shuffled in {groups} groups.", nameof(groups));
        }
        string grouped = _graph.Node("Reshape", [input, _graph.Int64Constant([0, groups, channels / groups, height, width])], hint);
        string swapped = _graph.Node("Transpose", [grouped], hint, Attribute("perm", [0L, 2, 1, 3, 4]));
        return _graph.Node("Reshape", [swapped, _graph.Int64Constant([0, channels, height, width])], hint);
    }

    /// <summary>Flattens [N, C, 1, 1] (or any [N, ...]) to [N, features].</summary>
    public string Flatten(string input, string hint) => _graph.Node("Flatten", [input], hint, Attribute("axis", 1));

    private string EmitSequence(Sequential sequence, string input)
    {
        string value = input;
        foreach (var (_, child) in sequence.named_children())
        {
            value = Emit(child, value);
        }
        return value;
    }

    private string EmitConvolution(Conv2d convolution, string input)
    {
        if (convolution.padding_mode != PaddingModes.Zeros || convolution.padding_type is not null)
        {
            throw new NotSupportedException($"Convolution '{PathOf(convolution)}' uses padding mode {convolution.padding_mode}; only explicit zero padding is exported.");
        }
        string path = PathOf(convolution);
        var inputs = new List<string> { input, Initializer(path + ".weight", convolution.weight!) };
        if (convolution.bias is { } bias)
        {
            inputs.Add(Initializer(path + ".bias", bias));
        }
        long[] padding = convolution.padding ?? [0, 0];
        return _graph.Node("Conv", inputs, path,
            Attribute("kernel_shape", convolution.kernel_size),
            Attribute("strides", convolution.stride),
            Attribute("dilations", convolution.dilation),
            Attribute("group", convolution.groups),
            Attribute("pads", [padding[0], padding[1], padding[0], padding[1]]));
    }

    private string EmitBatchNorm(BatchNorm2d norm, string input)
    {
        string path = PathOf(norm);
        if (norm.running_mean is null || norm.running_var is null)
        {
            throw new NotSupportedException($"BatchNorm '{path}' tracks no running statistics; export needs eval-mode statistics.");
        }
        long features = norm.num_features;
        using var ones = torch.ones(features);
        using var zeros = torch.zeros(features);
        return _graph.Node("BatchNormalization",
            [
                input,
                Initializer(path + ".weight", norm.weight ?? (Tensor)ones),
                Initializer(path + ".bias", norm.bias ?? (Tensor)zeros),
                Initializer(path + ".running_mean", norm.running_mean),
                Initializer(path + ".running_var", norm.running_var),
            ],
            path,
            Attribute("epsilon", (float)norm.eps));
    }

    private string EmitAveragePool(AvgPool2d pool, string input)
    {
        if (pool.divisor_override is not null)
        {
            throw new NotSupportedException($"AvgPool '{PathOf(pool)}' has a divisor override, which ONNX AveragePool cannot express.");
        }
        long[] padding = pool.padding ?? [0, 0];
        if (padding.Length == 1)
        {
            padding = [padding[0], padding[0]];
        }
        long[] kernel = pool.kernel_size;
        return _graph.Node("AveragePool", [input], PathOf(pool),
            Attribute("kernel_shape", kernel),
            Attribute("strides", pool.stride ?? kernel),
            Attribute("pads", [padding[0], padding[1], padding[0], padding[1]]),
            Attribute("ceil_mode", pool.ceil_mode ? 1 : 0),
            Attribute("count_include_pad", pool.count_include_pad ? 1 : 0));
    }

    private string EmitLinear(Linear linear, string input)
    {
        string path = PathOf(linear);
        var inputs = new List<string> { input, Initializer(path + ".weight", linear.weight!) };
        if (linear.bias is { } bias)
        {
            inputs.Add(Initializer(path + ".bias", bias));
        }
        // Gemm computes input · weightᵀ + bias, the same as torch.nn.Linear.
        return _graph.Node("Gemm", inputs, path, Attribute("transB", 1));
    }

    /// <summary>The module's dotted path in the exported model (e.g. <c>cells.3.edges.2.conv</c>), used to name nodes and initializers.</summary>
    public string PathOf(nn.Module module) => _modulePaths.TryGetValue(module, out var path) && path.Length > 0 ? path : module.GetName();

    private string Initializer(string hint, Tensor value)
    {
        using var scope = torch.NewDisposeScope(); // the detached, moved and converted intermediates
        var contiguous = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return _graph.Initializer(hint, MemoryMarshal.Cast<byte, float>(contiguous.bytes), contiguous.shape);
    }
}
