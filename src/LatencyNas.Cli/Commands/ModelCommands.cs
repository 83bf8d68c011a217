using System.CommandLine;
using System.Globalization;
using LatencyNas.Onnx;
using LatencyNas.Workflows;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

/// <summary>kernels: what ONNX Runtime runs for any ONNX model.</summary>
internal static class ModelCommands
{
    public static Command Kernels()
    {
        var onnxOption = new Option<string>("--onnx") { Description = "The ONNX model to read (weights inside the file; fixed input size; the batch may be symbolic).", Required = true };
        var batchOption = LatnasOptions.Batch("The batch size a symbolic batch dimension is taken as (a model with a fixed batch runs at its own; another given is refused).");
        var optimizationOption = LatnasOptions.Choice("--optimization",
            "ONNX Runtime's graph optimization level to follow (all: with this machine's NCHWc channel blocks, as ORT's default level runs here).",
            GraphOptimization.All, ("disabled", GraphOptimization.Disabled), ("basic", GraphOptimization.Basic), ("extended", GraphOptimization.Extended), ("all", GraphOptimization.All));
        var jsonOption = LatnasOptions.Json();
        var command = new Command("kernels",
            "List the kernels ONNX Runtime's CPU provider runs for an ONNX model after its graph rewrites (a convolution with its folded BatchNorm and fused activation is one), with shapes and operations (a multiply-accumulate each in convolutions and matrix products, one per output element elsewhere).")
        {
            onnxOption, batchOption, optimizationOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new KernelsUseCase().Run(new KernelsRequest(parse.GetValue(onnxOption)!, parse.Given(batchOption), optimizationOption.ValueIn(parse)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("#", "operator", "nodes", "input", "output", "M ops");
            foreach (var (kernel, i) in result.Kernels.Select((k, i) => (k, i + 1)))
            {
                table.AddRow(i.ToString(CultureInfo.InvariantCulture), Markup.Escape(kernel.Label),
                    Markup.Escape(NodesText(kernel.Nodes)),
                    string.Join("×", kernel.Input), string.Join("×", kernel.Output), (kernel.Operations / 1e6).ToString("F2", CultureInfo.InvariantCulture));
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{result.Kernels.Count} kernels from {result.Nodes} nodes ({string.Join(", ", result.Operators.Select(o => $"{o.Key} {o.Value}"))}); " +
                              $"{result.Operations / 1e6:F1} M operations (MACs, one per element outside convolutions and matrix products); opset {result.Opset}, batch {result.Batch}, optimization {result.Optimization}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A kernel's model nodes in a table cell: the first, and how many more were fused into it.</summary>
    internal static string NodesText(IReadOnlyList<string> nodes) => nodes.Count == 1 ? nodes[0] : $"{nodes[0]} (+{nodes.Count - 1})";
}
