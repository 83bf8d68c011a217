using LatencyNas.Onnx;

namespace LatencyNas.Workflows;

/// <param name="Batch">The batch size a symbolic batch dimension is taken as (null: 1); one that differs from the model's fixed batch is refused.</param>
public sealed record KernelsRequest(string ModelPath, long? Batch = null, GraphOptimization Optimization = GraphOptimization.All);

/// <summary>One kernel as <c>kernels</c> lists it.</summary>
/// <param name="Label">The operator with what is fused into it (see <see cref="Kernel.Label"/>).</param>
/// <param name="Accumulates">A blocked convolution that adds another value into its output (a fused Add).</param>
/// <param name="Nodes">The model nodes it stands for (a convolution with its folded BatchNorm and fused activation).</param>
/// <param name="Operations">Its work (see <see cref="Kernel.Operations"/>): MACs of a convolution or matrix product, else one per output element.</param>
public sealed record KernelRow(string Operator, string? Activation, bool Accumulates, string Label, IReadOnlyList<string> Nodes, long[] Input, long[] Output, long Operations);

/// <summary>A model's kernels, their operators counted, and the model's totals.</summary>
/// <param name="Batch">The batch the model runs at: its fixed batch dimension, or the batch asked for a symbolic one.</param>
/// <param name="Nodes">Nodes in the model file.</param>
/// <param name="Operations">The kernels' operations added up.</param>
public sealed record KernelsResult(string Model, int Opset, long Batch, string Optimization, int Nodes, IReadOnlyList<KernelRow> Kernels,
    IReadOnlyDictionary<string, int> Operators, long Operations);

/// <summary>The kernels ONNX Runtime's CPU provider runs for any ONNX model (<see cref="CpuKernels"/>).</summary>
public sealed class KernelsUseCase
{
    /// <exception cref="Core.InvalidInputException">The file is missing or not a model, or holds an operator, a dynamic size or external data LatencyNas cannot read.</exception>
    public KernelsResult Run(KernelsRequest request)
    {
        var model = OnnxModelGraph.Read(request.ModelPath, request.Batch);
        var kernels = CpuKernels.Detect(model, request.Optimization);
        var rows = kernels.Select(k => new KernelRow(k.Operator, k.Activation, k.Accumulates, k.Label, k.Nodes.Select(n => n.Name).ToList(), k.InputShape, k.OutputShape, k.Operations)).ToList();
        var operators = rows.GroupBy(r => r.Operator).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new KernelsResult(model.Source, model.Opset, model.Batch, request.Optimization.ToString().ToLowerInvariant(), model.Nodes.Count, rows, operators,
            rows.Sum(r => r.Operations));
    }
}
