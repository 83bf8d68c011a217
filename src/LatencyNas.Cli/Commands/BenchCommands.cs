using System.CommandLine;
using LatencyNas.Core;
using System.Diagnostics;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using LatencyNas.Torch.Runners;

namespace LatencyNas.Cli.Commands;

/// <summary>Benchmarks: figures for the README, never assertions.</summary>
internal static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure the tool's own speed (figures for the README).");
        bench.Subcommands.Add(Export());
        bench.Subcommands.Add(Profile());
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

    private static Command Profile()
    {
        var deviceOption = new Option<string>("--device") { Description = "Device to benchmark (default ort-cpu-1t).", DefaultValueFactory = _ => ProfileCommands.DefaultDevice };
        var countOption = CommonOptions.Count(200);
        var seedOption = CommonOptions.Seed();
        var overheadOption = CommonOptions.Positive("--overhead-count", "Architectures for the harness-overhead comparison.", 20);
        var skipFixedOption = new Option<bool>("--skip-fixed") { Description = "Leave out the fixed \"3 s warm-up + 50 runs\" comparison (about 2 × 3.1 s per architecture)." };
        var command = new Command("profile",
            "Benchmark the measurement protocol: harness overhead against a bare Run loop, seconds per architecture, and test-retest SRCC, " +
            "against a fixed \"3 s warm-up + 50 runs\" protocol.")
        {
            deviceOption, countOption, seedOption, overheadOption, skipFixedOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            var device = DeviceDescriptorReader.Resolve(parse.GetValue(deviceOption)!);
            if (device.Runtime != DeviceRuntime.OnnxRuntime)
            {
                throw new InvalidInputException("bench profile compares against a bare ONNX Runtime Run loop; give an onnxruntime device.");
            }
            var space = SearchSpaces.Get("nb201");
            var sample = space.SampleDistinct(parse.GetValue(countOption), parse.GetValue(seedOption));
            Console.WriteLine($"device {device.Name} ({device.Summary}) on {DeviceFingerprint.HostCpuModel()}, {Environment.ProcessorCount} cores");

            // 1. Harness overhead: our protocol's median against a bare loop of Run calls on the same session.
            var settings = OrtSettings.From(device);
            var ratios = new List<double>();
            foreach (var architecture in sample.Take(parse.GetValue(overheadOption)))
            {
                byte[] model = TorchOnnxModelSource.Instance.Export(ModelRequest.For(device, space, architecture));
                using var session = OrtTimedSession.Create(model, settings);
                double ours = session.Measure(MeasurementProtocol.Default, cancellation).Statistics.MedianMs;
                const int BareRuns = 200;
                for (int i = 0; i < 20; i++)
                {
                    session.Run();
                }
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < BareRuns; i++)
                {
                    session.Run();
                }
                double bare = Stopwatch.GetElapsedTime(start).TotalMilliseconds / BareRuns;
                ratios.Add(ours / bare);
            }
            Console.WriteLine($"harness overhead: our median / bare-loop mean = {Descriptive.Median(ratios):F3} (median over {ratios.Count} architectures; range {ratios.Min():F3}–{ratios.Max():F3})");

            // 2–3. Seconds per architecture and test-retest SRCC, adaptive protocol; 4. the same for the fixed protocol.
            string directory = Directory.CreateTempSubdirectory("latnas-bench-").FullName;
            try
            {
                using var store = ProfileStore.Open(Path.Combine(directory, "bench.db"));
                await using var runner = DeviceRunners.Create(device);
                var adaptive = await TestRetestAsync(runner, store, space, sample, MeasurementProtocol.Default, firstSession: 1, cancellation);
                Console.WriteLine($"adaptive protocol (2% target): {adaptive.SecondsPerArchitecture:F3} s per architecture, test-retest SRCC {adaptive.Srcc:F4}, precision met {adaptive.PrecisionMet:P0}, mean timed runs {adaptive.MeanRuns:F0}");
                if (!parse.GetValue(skipFixedOption))
                {
                    var fixedRecipe = await TestRetestAsync(runner, store, space, sample, MeasurementProtocol.Fixed3sWarmup50Runs, firstSession: 3, cancellation);
                    Console.WriteLine($"fixed 3 s warm-up + 50 runs:    {fixedRecipe.SecondsPerArchitecture:F3} s per architecture, test-retest SRCC {fixedRecipe.Srcc:F4}");
                    Console.WriteLine($"cost ratio fixed / adaptive: {fixedRecipe.SecondsPerArchitecture / adaptive.SecondsPerArchitecture:F1}×");
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private sealed record TestRetest(double SecondsPerArchitecture, double Srcc, double PrecisionMet, double MeanRuns);

    /// <summary>Profiles the sample twice (two sessions) with one protocol and compares the two rankings.</summary>
    private static async Task<TestRetest> TestRetestAsync(
        IDeviceRunner runner, ProfileStore store, SearchSpace space, IReadOnlyList<Architecture> sample, MeasurementProtocol protocol, int firstSession, CancellationToken cancellation)
    {
        var seconds = new List<double>();
        for (int session = firstSession; session < firstSession + 2; session++)
        {
            var profiler = new Profiler(runner, store, new ProfileOptions { Protocol = protocol, Session = session });
            var summary = await profiler.RunAsync(space, sample, progress: null, cancellation);
            if (!summary.Completed || summary.Failures.Count > 0)
            {
                throw new RunFailedException($"benchmark profile did not complete: {summary.StopReason ?? summary.Failures[0].Reason}");
            }
            seconds.Add(summary.Elapsed.TotalSeconds / sample.Count);
        }
        var measurements = store.ReadMeasurements(store.GetDevice(runner.Device.Name), space.Name);
        var first = measurements.Where(m => m.Session == firstSession).ToDictionary(m => m.Digits);
        var second = measurements.Where(m => m.Session == firstSession + 1).ToDictionary(m => m.Digits);
        var digits = first.Keys.Where(second.ContainsKey).Order().ToList();
        double srcc = RankCorrelation.Spearman(digits.Select(d => first[d].MedianMs!.Value).ToList(), digits.Select(d => second[d].MedianMs!.Value).ToList());
        var both = first.Values.Concat(second.Values).ToList();
        return new TestRetest(seconds.Average(), srcc, both.Count(m => m.PrecisionMet == true) / (double)both.Count, both.Average(m => m.Runs ?? 0));
    }
}
