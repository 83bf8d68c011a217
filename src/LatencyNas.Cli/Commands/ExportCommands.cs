using LatencyNas.Core.IO;
using System.CommandLine;
using System.Diagnostics;
using LatencyNas.Core.Spaces;
using LatencyNas.Torch;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Cli.Commands;

internal static class ExportCommands
{
    public static Command Export()
    {
        var spaceOption = CommonOptions.Space();
        var archOption = CommonOptions.Arch();
        var datasetOption = CommonOptions.Dataset();
        var batchOption = CommonOptions.Batch();
        var seedOption = CommonOptions.Seed();
        var outOption = new Option<string>("--out") { Description = "The .onnx file to write.", Required = true };
        var command = new Command("export", "Build an architecture's TorchSharp network and write it as an ONNX model.")
        {
            spaceOption, archOption, datasetOption, batchOption, seedOption, outOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            var architecture = space.Parse(parse.GetValue(archOption)!);
            var dataset = space.ParseDataset(parse.GetValue(datasetOption)!);
            string path = parse.GetValue(outOption)!;
            byte[] model = NetworkFactory.ExportOnnx(space, architecture, dataset, parse.GetValue(batchOption), parse.GetValue(seedOption));
            AtomicFile.WriteAllBytes(path, model);
            Console.WriteLine($"wrote {path}: {space.Format(architecture)} on {dataset.Name}, batch {parse.GetValue(batchOption)}, {model.Length:N0} bytes");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CheckExport()
    {
        var spaceOption = CommonOptions.Space();
        var countOption = CommonOptions.Count(30);
        var seedOption = CommonOptions.Seed();
        var datasetOption = CommonOptions.Dataset(defaultName: null);
        datasetOption.Description = "Check on one dataset only (default: cycle through all of the space's datasets).";
        var batchOption = CommonOptions.Batch();
        var toleranceOption = new Option<double>("--tolerance")
        {
            Description = "Largest acceptable max-abs difference.",
            DefaultValueFactory = _ => ExportParity.Tolerance,
        };
        var command = new Command("check-export",
            "Build, export and run random architectures through TorchSharp and ONNX Runtime on the same input; fail if any output differs by more than the tolerance.")
        {
            spaceOption, countOption, seedOption, datasetOption, batchOption, toleranceOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            string? datasetName = parse.GetValue(datasetOption);
            IReadOnlyList<Dataset> datasets = datasetName is null ? space.Datasets : [space.ParseDataset(datasetName)];
            double tolerance = parse.GetValue(toleranceOption);
            int seed = parse.GetValue(seedOption);
            var architectures = space.SampleDistinct(parse.GetValue(countOption), seed);
            var started = Stopwatch.StartNew();
            ParityResult? worst = null;
            int failures = 0;
            for (int i = 0; i < architectures.Count; i++)
            {
                var result = ExportParity.Check(space, architectures[i], datasets[i % datasets.Count], seed + i, parse.GetValue(batchOption));
                bool ok = result.MaxAbsDifference <= tolerance;
                failures += ok ? 0 : 1;
                if (worst is null || result.MaxAbsDifference > worst.MaxAbsDifference)
                {
                    worst = result;
                }
                Console.WriteLine($"[{i + 1}/{architectures.Count}] {result.Architecture.Digits} {result.Dataset.Name,-14} max|Δ| {result.MaxAbsDifference:0.00e0}{(ok ? "" : "  FAIL")}");
            }
            Console.WriteLine(
                $"checked {architectures.Count} architectures in {started.Elapsed.TotalSeconds:F1} s; worst max|Δ| {worst!.MaxAbsDifference:0.00e0} " +
                $"({space.Format(worst.Architecture)} on {worst.Dataset.Name}); tolerance {tolerance:0e0}; {failures} over tolerance");
            return failures == 0 ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }
}
