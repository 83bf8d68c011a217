using System.CommandLine;
using LatencyNas.Core.Spaces;
using LatencyNas.Torch;
using LatencyNas.Workflows;

namespace LatencyNas.Cli.Commands;

/// <summary>export, check-export.</summary>
internal static class ExportCommands
{
    public static Command Export()
    {
        var spaceOption = LatnasOptions.Space();
        var archOption = LatnasOptions.Arch();
        var datasetOptions = new DatasetOptions();
        var batchOption = LatnasOptions.Batch();
        var seedOption = LatnasOptions.Seed("Seed of the network's weights.");
        var outOption = LatnasOptions.Out("The .onnx file to write.");
        var jsonOption = LatnasOptions.Json();
        var command = new Command("export", "Build an architecture's TorchSharp network and write it as an ONNX model.")
        {
            spaceOption, archOption, batchOption, seedOption, outOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(async (parse, _) =>
        {
            var space = parse.SearchSpace(spaceOption);
            var result = await NativeStandardError.AsideAsync("libtorch", () => Task.FromResult(new ExportUseCase().Run(new ExportRequest(
                space, space.Parse(parse.GetValue(archOption)!), datasetOptions.Parse(parse, space)!, parse.GetValue(outOption)!,
                parse.GetValue(batchOption), parse.GetValue(seedOption)))));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"wrote {result.Out}: {result.Arch} on {result.Dataset}, batch {result.Batch}, {result.Bytes:N0} bytes");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CheckExport()
    {
        var spaceOption = LatnasOptions.Space();
        var countOption = LatnasOptions.Count(30);
        var seedOption = LatnasOptions.Seed();
        var datasetOptions = new DatasetOptions(defaultDataset: null, "Check on this dataset only [default: each of the space's benchmark datasets in turn]");
        var batchOption = LatnasOptions.Batch();
        var toleranceOption = LatnasOptions.Number("--tolerance", "Largest acceptable max-abs difference.", ExportParity.Tolerance, 0, 1);
        var jsonOption = LatnasOptions.Json();
        var command = new Command("check-export",
            "Build, export and run random architectures through TorchSharp and ONNX Runtime on the same input; fail if any output differs by more than the tolerance.")
        {
            spaceOption, countOption, seedOption, batchOption, toleranceOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(async (parse, _) =>
        {
            var space = parse.SearchSpace(spaceOption);
            IReadOnlyList<Dataset>? datasets = datasetOptions.Parse(parse, space) is { } dataset ? [dataset] : null;
            bool json = parse.GetValue(jsonOption);
            int done = 0, count = parse.GetValue(countOption);
            var progress = new Synchronous<ParityRow>(row =>
            {
                string line = $"[{++done}/{count}] {row.Ops} {row.Dataset,-14} max|Δ| {row.MaxAbsDifference:0.00e0}{(row.WithinTolerance ? "" : "  FAIL")}";
                (json ? Console.Error : Console.Out).WriteLine(line);
            });
            var result = await NativeStandardError.AsideAsync("libtorch", () => Task.FromResult(new CheckExportUseCase().Run(new CheckExportRequest(space, count,
                parse.GetValue(seedOption), datasets, parse.GetValue(batchOption), parse.GetValue(toleranceOption)), progress)));
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"checked {result.Checked} architectures in {result.Seconds:F1} s; worst max|Δ| {result.WorstMaxAbsDifference:0.00e0} " +
                                  $"({result.WorstArch} on {result.WorstDataset}); tolerance {result.Tolerance:0e0}; {result.OverTolerance} over tolerance");
            }
            return result.Passed ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }
}
