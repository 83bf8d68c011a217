using System.CommandLine;
using System.Diagnostics;
using LatencyNas.Core.Spaces;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;

namespace LatencyNas.Cli.Commands;

/// <summary>Benchmarks: figures for the README, never assertions.</summary>
internal static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure the tool's own speed (figures for the README).");
        bench.Subcommands.Add(Export());
        return bench;
    }

    private static Command Export()
    {
        var spaceOption = CommonOptions.Space();
        var countOption = CommonOptions.Count(200);
        var seedOption = CommonOptions.Seed();
        var datasetOption = CommonOptions.Dataset();
        var command = new Command("export", "Time building the TorchSharp network and exporting it to ONNX, per architecture.")
        {
            spaceOption, countOption, seedOption, datasetOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            var dataset = space.ParseDataset(parse.GetValue(datasetOption)!);
            var architectures = space.SampleDistinct(parse.GetValue(countOption), parse.GetValue(seedOption));
            var options = NetworkFactory.ExportOptions(dataset);
            // Warm-up: the first build loads libtorch and JITs the exporter.
            using (var warm = NetworkFactory.Create(space, architectures[0], dataset))
            {
                OnnxExporter.Export(warm, options);
            }
            var build = new List<double>();
            var export = new List<double>();
            long bytes = 0;
            foreach (var architecture in architectures)
            {
                long start = Stopwatch.GetTimestamp();
                using var network = NetworkFactory.Create(space, architecture, dataset);
                long built = Stopwatch.GetTimestamp();
                bytes += OnnxExporter.Export(network, options).Length;
                long exported = Stopwatch.GetTimestamp();
                build.Add(Stopwatch.GetElapsedTime(start, built).TotalMilliseconds);
                export.Add(Stopwatch.GetElapsedTime(built, exported).TotalMilliseconds);
            }
            static string Summary(List<double> values)
            {
                var sorted = values.Order().ToArray();
                return $"median {sorted[sorted.Length / 2]:F2} ms, mean {values.Average():F2} ms, p90 {sorted[(int)(0.9 * (sorted.Length - 1))]:F2} ms";
            }
            Console.WriteLine($"{architectures.Count} {space.Name} architectures on {dataset.Name}, {Environment.ProcessorCount} cores");
            Console.WriteLine($"build (TorchSharp, incl. BatchNorm calibration): {Summary(build)}");
            Console.WriteLine($"export (module walk + protobuf):                  {Summary(export)}");
            Console.WriteLine($"mean model size: {bytes / architectures.Count / 1024.0:F0} KiB");
            return ExitCodes.Success;
        });
        return command;
    }
}
