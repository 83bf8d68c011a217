namespace LatencyNas.Core.Spaces.Nb201;

/// <summary>
/// The kernels ONNX Runtime's CPU provider runs for an NB201 network as this project exports it, at
/// its default (<c>all</c>) level on x64, counted from the architecture alone — microseconds where
/// exporting the network and detecting its kernels takes tens of milliseconds. The network is written
/// as the exporter writes it (a computation once however many edges ask for it; a zero node as
/// <c>cell input · 0</c>), then rewritten by the rules of the kernel detection of LatencyNas.Onnx
/// (<c>CpuKernels</c>, <c>NchwcLayout</c>) that apply to it:
/// <list type="bullet">
/// <item>a convolution takes in its BatchNorm and a following multiplication by the zero constant
/// (the next cell's zero node, when the convolution's output has no other reader), then a ReLU that
/// is their only reader;</item>
/// <item>convolutions and pools run in the blocked (NCHWc) layout; an addition or ReLU of blocked
/// values stays blocked, and fuses into the convolution that made its input when that is the
/// convolution's only reader; the multiplication by zero (a scalar) runs plain;</item>
/// <item>a plain value a blocked kernel reads is reordered into blocks once (<c>ReorderInput</c>), and a
/// blocked value something plain reads is reordered back once (<c>ReorderOutput</c>).</item>
/// </list>
/// Every NB201 width (16, 32, 64 channels) is whole blocks of 8 and of 16, so the counts do not depend
/// on the machine's block. The reorders and the plain kernels are what the cell's own operations do not tell:
/// 000002 and 000012 differ by one skip edge, and the second runs 1.9 times as long on one thread.
/// </summary>
public static class Nb201RuntimeKernels
{
    /// <summary>The kernels, by their label (<c>com.microsoft.nchwc:Conv+Add+Relu</c>, <c>Mul</c>, ...), as <c>CpuKernels</c> labels them.</summary>
    public static IReadOnlyDictionary<string, int> Labels(Architecture architecture)
        => Detect(architecture).GroupBy(k => k.Label).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>The counts predictors use.</summary>
    public static RuntimeKernelCounts Count(Architecture architecture)
    {
        var kernels = Detect(architecture);
        int Count(Func<RuntimeKernel, bool> predicate) => kernels.Count(predicate);
        return new RuntimeKernelCounts(
            ReorderInputs: Count(k => k.Operator == ReorderInput),
            ReorderOutputs: Count(k => k.Operator == ReorderOutput),
            PlainKernels: Count(k => !k.Blocked && k.Operator is "Mul" or "Add" or "Relu"),
            BlockedElementwise: Count(k => k.Blocked && k.Operator is "Add" or "Relu"),
            FusedAdditions: Count(k => k.Accumulates));
    }

    private const string Nchwc = "com.microsoft.nchwc:";
    private const string BlockedConv = Nchwc + "Conv", ReorderInput = Nchwc + "ReorderInput", ReorderOutput = Nchwc + "ReorderOutput";

    private sealed record RuntimeKernel(string Operator, IReadOnlyList<Nb201GraphNode> Nodes, string? Activation = null, bool Accumulates = false, bool Blocked = false)
    {
        public string Output => Nodes[^1].Output;

        public string Label => $"{Operator}{(Accumulates ? "+Add" : "")}{(Activation is null ? "" : "+" + Activation)}";

        /// <summary>The values it reads that another kernel computes, once per node input reading it.</summary>
        public IEnumerable<string> ComputedInputs()
        {
            var inside = Nodes.Select(n => n.Output).ToHashSet(StringComparer.Ordinal);
            return Nodes.SelectMany(n => n.Inputs).Where(v => !inside.Contains(v));
        }
    }

    private sealed class BlockedValue(int producer, int readers)
    {
        public int Producer { get; } = producer;

        public int Readers { get; } = readers;

        public int PlainReaders { get; set; } = readers;
    }

    private static List<RuntimeKernel> Detect(Architecture architecture)
    {
        var graph = new Nb201ExportedGraph();
        string output = graph.Network(architecture);
        return Block(Fuse(graph.Nodes, output), output);
    }

    /// <summary>A convolution with what folds into it (BatchNorm, a multiplication by a constant) and then its ReLU; every other node its own kernel.</summary>
    private static List<RuntimeKernel> Fuse(IReadOnlyList<Nb201GraphNode> nodes, string output)
    {
        var readers = new Dictionary<string, List<Nb201GraphNode>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (string input in node.Inputs)
            {
                (readers.TryGetValue(input, out var list) ? list : readers[input] = []).Add(node);
            }
        }
        Nb201GraphNode? OnlyReader(Nb201GraphNode node) => node.Output != output && readers.TryGetValue(node.Output, out var list) && list.Count == 1 ? list[0] : null;

        var absorbed = new HashSet<Nb201GraphNode>(ReferenceEqualityComparer.Instance);
        var kernels = new List<RuntimeKernel>();
        foreach (var node in nodes)
        {
            if (absorbed.Contains(node))
            {
                continue;
            }
            var group = new List<Nb201GraphNode> { node };
            string op = node.Op;
            string? activation = null;
            if (node.Op == "Conv")
            {
                while (OnlyReader(group[^1]) is { } next && (next.Op == "BatchNormalization" || next.Op == "Mul" && next.ReadsConstant))
                {
                    group.Add(next);
                }
                if (OnlyReader(group[^1]) is { Op: "Relu" } relu)
                {
                    group.Add(relu);
                    (op, activation) = ("com.microsoft:FusedConv", "Relu");
                }
            }
            absorbed.UnionWith(group);
            kernels.Add(new RuntimeKernel(op, group, activation));
        }
        return kernels;
    }

    /// <summary>The blocked layout of the <c>all</c> level.</summary>
    private static List<RuntimeKernel> Block(List<RuntimeKernel> kernels, string output)
    {
        var readers = new Dictionary<string, int>(StringComparer.Ordinal) { [output] = 1 };
        foreach (string value in kernels.SelectMany(k => k.ComputedInputs()))
        {
            readers[value] = readers.GetValueOrDefault(value) + 1;
        }
        var blocked = new Dictionary<string, BlockedValue>(StringComparer.Ordinal);
        var reordered = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<RuntimeKernel>();

        void ReadBlocked(string value)
        {
            if (blocked.TryGetValue(value, out var input))
            {
                input.PlainReaders--;
            }
            else if (reordered.Add(value))
            {
                result.Add(new RuntimeKernel(ReorderInput, [], Blocked: true));
            }
        }
        void AddBlocked(RuntimeKernel kernel)
        {
            result.Add(kernel with { Blocked = true });
            blocked[kernel.Output] = new BlockedValue(result.Count - 1, readers.GetValueOrDefault(kernel.Output));
        }
        int? FusibleConvolution(BlockedValue value, bool accumulating)
            => result[value.Producer] is { Operator: BlockedConv, Activation: null } conv && value.Readers == 1 && !(accumulating && conv.Accumulates)
                ? value.Producer : null;

        foreach (var kernel in kernels)
        {
            var node = kernel.Nodes[0];
            var inputs = kernel.ComputedInputs().ToList();
            if (node.Op == "Conv")
            {
                if (inputs[0] != Nb201ExportedGraph.Input) // the stem's three channels are fewer than a block: it reads the plain input
                {
                    ReadBlocked(inputs[0]);
                }
                AddBlocked(kernel with { Operator = BlockedConv });
                continue;
            }
            if (node.Op == "AveragePool" || node.Op == "GlobalAveragePool" && blocked.ContainsKey(inputs[0]))
            {
                ReadBlocked(inputs[0]);
                AddBlocked(kernel with { Operator = Nchwc + node.Op });
                continue;
            }
            if (inputs.Count > 0 && inputs.All(blocked.ContainsKey) && !node.ReadsConstant)
            {
                switch (node.Op)
                {
                    case "Add":
                        inputs.ForEach(v => blocked[v].PlainReaders--);
                        int? fused = FusibleConvolution(blocked[inputs[0]], true) ?? FusibleConvolution(blocked[inputs[1]], true);
                        if (fused is { } producer)
                        {
                            result[producer] = result[producer] with { Nodes = [.. result[producer].Nodes, node], Accumulates = true };
                            blocked[node.Output] = new BlockedValue(producer, readers.GetValueOrDefault(node.Output));
                        }
                        else
                        {
                            AddBlocked(kernel);
                        }
                        continue;
                    case "Relu":
                        var input = blocked[inputs[0]];
                        input.PlainReaders--;
                        if (FusibleConvolution(input, false) is { } convolution)
                        {
                            result[convolution] = result[convolution] with { Nodes = [.. result[convolution].Nodes, node], Activation = "Relu" };
                            blocked[node.Output] = new BlockedValue(convolution, readers.GetValueOrDefault(node.Output));
                        }
                        else
                        {
                            AddBlocked(kernel);
                        }
                        continue;
                    case "BatchNormalization":
                        blocked[inputs[0]].PlainReaders--;
                        AddBlocked(kernel with { Operator = BlockedConv });
                        continue;
                }
            }
            result.Add(kernel);
        }
        result.AddRange(blocked.Values.Where(b => b.PlainReaders > 0).Select(_ => new RuntimeKernel(ReorderOutput, [], Blocked: true)));
        return result;
    }
}

/// <summary>Counts of the kernels of <see cref="Nb201RuntimeKernels"/> that the architecture's cell operations do not tell.</summary>
/// <param name="ReorderInputs">Plain values reordered into blocks.</param>
/// <param name="ReorderOutputs">Blocked values reordered back for a plain reader.</param>
/// <param name="PlainKernels">Multiplications by zero, additions and ReLUs run in the plain layout.</param>
/// <param name="BlockedElementwise">Additions and ReLUs run blocked on their own (not fused into a convolution).</param>
/// <param name="FusedAdditions">Convolutions that add another value as they write their output.</param>
public sealed record RuntimeKernelCounts(int ReorderInputs, int ReorderOutputs, int PlainKernels, int BlockedElementwise, int FusedAdditions);
