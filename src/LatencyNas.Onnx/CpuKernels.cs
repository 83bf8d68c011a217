namespace LatencyNas.Onnx;

/// <summary>How far ONNX Runtime rewrites a graph before running it (its <c>GraphOptimizationLevel</c>).</summary>
public enum GraphOptimization
{
    Disabled,

    /// <summary>Constant folding, Identity and Dropout removed, BatchNorm, bias Add and scale Mul folded into the convolution before them.</summary>
    Basic,

    /// <summary>Basic, and an activation after a convolution or Gemm fused into it (<c>FusedConv</c>, <c>FusedGemm</c>), Swish as one <c>QuickGelu</c>.</summary>
    Extended,

    /// <summary>Extended, and on x64 the NCHWc layout: convolutions and what follows them run on channels in blocks (see <see cref="NchwcLayout"/>).</summary>
    All,
}

/// <summary>
/// One node ONNX Runtime executes on CPU after its graph rewrites: the model nodes it stands for
/// (a convolution with its folded BatchNorm and fused activation), the operator it runs as, and its
/// configuration.
/// </summary>
/// <param name="Operator">The operator it runs as, domain-qualified outside <c>ai.onnx</c> (e.g. <c>com.microsoft:FusedConv</c>).</param>
/// <param name="Activation">The fused activation (e.g. Relu), or null.</param>
/// <param name="Operations">Its work: a multiply-accumulate (MAC) each for convolutions and matrix products, else one per output element.</param>
public sealed record Kernel(string Operator, IReadOnlyList<OnnxNode> Nodes, string? Activation, long[] InputShape, long[] OutputShape, long Operations)
{
    /// <summary>The node the kernel is anchored on (the convolution of a fused group; for a reorder, the node whose value it reorders).</summary>
    public OnnxNode Anchor => Nodes[0];

    /// <summary>It reads and writes channels in blocks (the NCHWc layout of the <c>all</c> level), padded to a multiple of the block.</summary>
    public bool Blocked { get; init; }

    /// <summary>A blocked convolution that adds another value into its output (an Add fused into it), before its activation.</summary>
    public bool Accumulates { get; init; }

    /// <summary>The operator with what is fused into it, e.g. <c>com.microsoft.nchwc:Conv+Add+Relu</c>.</summary>
    public string Label => $"{Operator}{(Accumulates ? "+Add" : "")}{(Activation is null ? "" : "+" + Activation)}";

    public override string ToString() => $"{Label} [{string.Join("×", InputShape)}]→[{string.Join("×", OutputShape)}] ({Anchor.Name})";
}

/// <summary>
/// The kernels ONNX Runtime's CPU execution provider runs for a model, found by applying the
/// graph rewrites of the optimization level (ORT 1.31) to the model's nodes:
/// <list type="bullet">
/// <item>every node whose inputs are all constant is folded away, and Identity and Dropout vanish;</item>
/// <item>basic: a BatchNormalization with constant parameters, an Add of a per-channel constant and
/// a Mul by a per-channel constant, each the only reader of a convolution's output, fold into it;</item>
/// <item>extended: then an activation that is the only reader of a convolution's output (Relu, Clip
/// with constant bounds, Sigmoid, Tanh, LeakyRelu, HardSigmoid) fuses into a <c>FusedConv</c>, one
/// after a Gemm into a <c>FusedGemm</c>, x · sigmoid(x) (Swish) runs as one <c>QuickGelu</c>, and
/// Slices that cut one value into consecutive pieces along an axis run as one <c>Split</c>.</item>
/// </list>
/// At <c>all</c>, the kernels of extended are laid out in channel blocks as <see cref="NchwcLayout"/>
/// describes, and then an Add after a plain convolution fuses into it.
/// </summary>
public static class CpuKernels
{
    /// <summary>
    /// The channel block of ONNX Runtime's NCHWc layout on this machine: 16 with AVX-512, 8 on other
    /// x64 processors, 1 (no NCHWc layout) elsewhere — as its MLAS library chooses.
    /// </summary>
    public static int LocalNchwcBlockSize { get; } = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? 16
        : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64 ? 8 : 1;

    private static readonly HashSet<string> ConvActivations = new(StringComparer.Ordinal) { "Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid" };

    private static readonly HashSet<string> GemmActivations = new(StringComparer.Ordinal)
        { "Elu", "HardSigmoid", "LeakyRelu", "Relu", "Selu", "Sigmoid", "Softplus", "Softsign", "Tanh", "ThresholdedRelu" };

    /// <param name="nchwcBlockSize">The channel block of the <c>all</c> level (see <see cref="LocalNchwcBlockSize"/>); 1 or less: no blocked layout.</param>
    public static IReadOnlyList<Kernel> Detect(OnnxModelGraph model, GraphOptimization level, int? nchwcBlockSize = null)
    {
        IReadOnlyList<Kernel> kernels = DetectUnblocked(model, level);
        if (level < GraphOptimization.All)
        {
            return kernels;
        }
        int block = nchwcBlockSize ?? LocalNchwcBlockSize;
        return FuseConvolutionAdds(model, block > 1 ? NchwcLayout.Apply(model, kernels, block) : kernels);
    }

    private static readonly HashSet<string> AddActivations = new(StringComparer.Ordinal) { "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Clip", "HardSigmoid" };

    /// <summary>
    /// The last rewrite of the <c>all</c> level: a plain convolution with a bias and no activation whose
    /// only reader is an Add of two values of the same 4-d shape takes the Add in (a <c>FusedConv</c>
    /// that accumulates), and the Add's only reader too when it is an activation.
    /// </summary>
    private static List<Kernel> FuseConvolutionAdds(OnnxModelGraph model, IReadOnlyList<Kernel> kernels)
    {
        var readers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < kernels.Count; i++)
        {
            var inside = kernels[i].Nodes.SelectMany(n => n.Outputs).ToHashSet(StringComparer.Ordinal);
            foreach (string value in kernels[i].Nodes.SelectMany(n => n.Inputs).Where(v => v.Length > 0 && !inside.Contains(v)).Distinct(StringComparer.Ordinal))
            {
                (readers.TryGetValue(value, out var list) ? list : readers[value] = []).Add(i);
            }
        }
        var outputs = model.Outputs.ToHashSet(StringComparer.Ordinal);
        int? OnlyReader(Kernel kernel)
            => !outputs.Contains(kernel.Nodes[^1].Outputs[0]) && readers.TryGetValue(kernel.Nodes[^1].Outputs[0], out var list) && list.Count == 1 ? list[0] : null;

        var result = kernels.ToList();
        var removed = new HashSet<int>();
        for (int i = 0; i < kernels.Count; i++)
        {
            var conv = kernels[i];
            bool hasBias = conv.Anchor.Input(2) is not null || conv.Nodes.Skip(1).Any(n => n.OpType is "BatchNormalization" or "Add");
            if (conv.Operator != "Conv" || !hasBias || OnlyReader(conv) is not { } a || kernels[a] is not { Operator: "Add", Nodes.Count: 1 } add
                || add.Anchor.Inputs.Count != 2 || add.Anchor.Inputs.Any(v => !model.Shapes.TryGetValue(v, out var shape) || shape.Length != 4)
                || !model.Shapes[add.Anchor.Inputs[0]].SequenceEqual(model.Shapes[add.Anchor.Inputs[1]]))
            {
                continue;
            }
            var fused = conv with { Operator = "com.microsoft:FusedConv", Nodes = [.. conv.Nodes, add.Anchor], Accumulates = true, OutputShape = add.OutputShape };
            removed.Add(a);
            if (OnlyReader(add) is { } r && kernels[r] is { Nodes.Count: 1 } act && AddActivations.Contains(act.Anchor.OpType) && act.Operator == act.Anchor.OpType
                && (act.Anchor.OpType != "Clip" || act.Anchor.Inputs.Skip(1).Where(v => v.Length > 0).All(model.IsConstant)))
            {
                fused = fused with { Nodes = [.. fused.Nodes, act.Anchor], Activation = act.Anchor.OpType };
                removed.Add(r);
            }
            result[i] = fused;
        }
        return result.Where((_, i) => !removed.Contains(i)).ToList();
    }

    private static List<Kernel> DetectUnblocked(OnnxModelGraph model, GraphOptimization level)
    {
        var readers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var node in model.Nodes)
        {
            foreach (string input in node.Inputs.Where(i => i.Length > 0))
            {
                (readers.TryGetValue(input, out var list) ? list : readers[input] = []).Add(node);
            }
        }
        var outputs = model.Outputs.ToHashSet(StringComparer.Ordinal);
        var absorbed = new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
        var kernels = new List<Kernel>();

        // The only reader of a node's (first) output, unless that output is also a graph output.
        OnnxNode? OnlyReader(OnnxNode node)
            => !outputs.Contains(node.Outputs[0]) && readers.TryGetValue(node.Outputs[0], out var list) && list.Count == 1 ? list[0] : null;

        foreach (var node in model.Nodes)
        {
            if (absorbed.Contains(node) || level >= GraphOptimization.Basic && IsFolded(model, node))
            {
                continue;
            }
            var group = new List<OnnxNode> { node };
            string op = node.OpType;
            string? activation = null;
            if (node.OpType == "Conv" && level >= GraphOptimization.Basic)
            {
                while (OnlyReader(group[^1]) is { } next && FoldsIntoConvolution(model, next, group[^1].Outputs[0], model.Shapes[node.Outputs[0]][1]))
                {
                    group.Add(next);
                }
                if (level >= GraphOptimization.Extended && OnlyReader(group[^1]) is { } act && ConvActivations.Contains(act.OpType)
                    && (act.OpType != "Clip" || act.Inputs.Skip(1).Where(i => i.Length > 0).All(model.IsConstant)))
                {
                    group.Add(act);
                    (op, activation) = ("com.microsoft:FusedConv", act.OpType);
                }
            }
            else if (node.OpType == "Gemm" && level >= GraphOptimization.Extended && OnlyReader(node) is { } act && GemmActivations.Contains(act.OpType))
            {
                group.Add(act);
                (op, activation) = ("com.microsoft:FusedGemm", act.OpType);
            }
            else if (node.OpType == "Slice" && level >= GraphOptimization.Extended && SplitBySlices(model, node, readers) is { } slices)
            {
                // Slices that together cut one value along one axis into consecutive pieces run as one Split.
                group.AddRange(slices.Where(other => !ReferenceEquals(other, node)));
                op = "Split";
            }
            else if (node.OpType == "Sigmoid" && level >= GraphOptimization.Extended && OnlyReader(node) is { OpType: "Mul" } mul
                     && mul.Inputs.Contains(node.Inputs[0]))
            {
                // x · sigmoid(x) (Swish, SiLU) runs as one QuickGelu (with alpha 1).
                group.Add(mul);
                op = "com.microsoft:QuickGelu";
            }
            else if (level >= GraphOptimization.Basic && node.OpType is "Identity" or "Dropout")
            {
                continue;
            }
            absorbed.UnionWith(group);
            string input = node.Inputs.FirstOrDefault(i => i.Length > 0 && !model.IsConstant(i)) ?? node.Inputs.FirstOrDefault(i => i.Length > 0) ?? "";
            long[] inputShape = model.Shapes.TryGetValue(input, out var shape) ? shape : [];
            // A Split writes all of its input; the others what their last node writes.
            long[] outputShape = op == "Split" ? inputShape : model.Shapes[group[^1].Outputs[0]];
            kernels.Add(new Kernel(op, group, activation, inputShape, outputShape, Operations(model, node, outputShape)));
        }
        return kernels;
    }

    /// <summary>
    /// The Slices of the value <paramref name="slice"/> reads, when they are two or more, all of step 1
    /// along the same axis, and together cover that axis in consecutive pieces; otherwise null.
    /// </summary>
    private static List<OnnxNode>? SplitBySlices(OnnxModelGraph model, OnnxNode slice, Dictionary<string, List<OnnxNode>> readers)
    {
        var slices = readers[slice.Inputs[0]].Where(n => n.OpType == "Slice").ToList();
        if (slices.Count < 2 || !model.Shapes.TryGetValue(slice.Inputs[0], out var shape))
        {
            return null;
        }
        var pieces = new List<(long Axis, long Start, long End)>();
        foreach (var node in slices)
        {
            double[]? starts = node.Input(1) is { } s ? model.ConstantValues(s) : null;
            double[]? ends = node.Input(2) is { } e ? model.ConstantValues(e) : null;
            double[]? axes = node.Input(3) is { } a ? model.ConstantValues(a) : [0];
            double[]? steps = node.Input(4) is { } t ? model.ConstantValues(t) : [1];
            if (starts is not { Length: 1 } || ends is not { Length: 1 } || axes is not { Length: 1 } || steps is not [1])
            {
                return null;
            }
            long axis = (long)axes[0] < 0 ? (long)axes[0] + shape.Length : (long)axes[0];
            long size = shape[axis];
            long Clamp(double bound) => (long)Math.Clamp(bound < 0 ? bound + size : bound, 0, size);
            pieces.Add((axis, Clamp(starts[0]), Clamp(ends[0])));
        }
        if (pieces.Select(p => p.Axis).Distinct().Count() != 1)
        {
            return null;
        }
        long expected = 0;
        foreach (var piece in pieces.OrderBy(p => p.Start))
        {
            if (piece.Start != expected || piece.End <= piece.Start)
            {
                return null;
            }
            expected = piece.End;
        }
        return expected == shape[pieces[0].Axis] ? slices : null;
    }

    /// <summary>Constant folding: a node all of whose inputs are known before the model runs (shape arithmetic, a Constant).</summary>
    private static bool IsFolded(OnnxModelGraph model, OnnxNode node)
        => node.OpType == "Constant" || node.Inputs.Count(i => i.Length > 0) > 0 && node.Inputs.Where(i => i.Length > 0).All(model.IsConstant);

    /// <summary>A BatchNormalization, or an Add or Mul of a per-channel constant, reading <paramref name="value"/> of <paramref name="channels"/> channels.</summary>
    private static bool FoldsIntoConvolution(OnnxModelGraph model, OnnxNode next, string value, long channels)
    {
        if (next.OpType == "BatchNormalization")
        {
            return next.Inputs[0] == value && next.Inputs.Skip(1).All(model.IsConstant);
        }
        if (next.OpType is "Add" or "Mul" && next.Inputs.Count == 2)
        {
            string other = next.Inputs[0] == value ? next.Inputs[1] : next.Inputs[0];
            if (!model.IsConstant(other) || !model.Shapes.TryGetValue(other, out var shape))
            {
                return false;
            }
            // Per channel: [C, 1, 1] or [1, C, 1, 1] (a scalar too, for Mul).
            long[] trimmed = shape.SkipWhile(d => d == 1).ToArray();
            bool perChannel = trimmed.Length > 0 && trimmed[0] == channels && trimmed.Skip(1).All(d => d == 1) && shape.Length >= 3;
            return perChannel || next.OpType == "Mul" && shape.All(d => d == 1);
        }
        return false;
    }

    /// <summary>A kernel's operations: its MACs for a convolution or matrix product (as <c>space describe</c> counts a network's), else one per output element.</summary>
    internal static long Operations(OnnxModelGraph model, OnnxNode node, long[] output)
    {
        long elements = output.Aggregate(1L, (p, d) => p * d);
        switch (node.OpType)
        {
            case "Conv":
            {
                long[] w = model.Shapes[node.Inputs[1]];
                return elements * w[1..].Aggregate(1L, (p, d) => p * d);
            }
            case "Gemm":
            {
                long[] a = model.Shapes[node.Inputs[0]];
                return elements * (node.Int("transA", 0) == 1 ? a[0] : a[1]);
            }
            case "MatMul":
            {
                long[] a = model.Shapes[node.Inputs[0]];
                return elements * a[^1];
            }
            default:
                return elements;
        }
    }
}
