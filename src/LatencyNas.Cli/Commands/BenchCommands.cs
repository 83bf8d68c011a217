using System.CommandLine;
using LatencyNas.Core;
using System.Diagnostics;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Remote;
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
        bench.Subcommands.Add(Predict());
        bench.Subcommands.Add(SearchBench());
        bench.Subcommands.Add(Remote());
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
                return $"median {Descriptive.QuantileOfSorted(sorted, 0.5):F2} ms, mean {values.Average():F2} ms, p90 {Descriptive.QuantileOfSorted(sorted, 0.9):F2} ms";
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
        var deviceOption = new Option<string>("--device") { Description = "Device to benchmark.", DefaultValueFactory = _ => ProfileCommands.DefaultDevice };
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

    private static Command Predict()
    {
        var deviceOption = new Option<string>("--device") { Description = "Device whose measurements train the predictors.", Required = true };
        var trainSizeOption = CommonOptions.Positive("--train-size", "Training architectures.", 1000);
        var repeatsOption = CommonOptions.Positive("--repeats", "Timed batch predictions per family.", 5);
        var storeOption = CommonOptions.Store();
        var command = new Command("predict", "Prediction throughput: architectures per second for a batch of the whole NB201 space, per predictor family.")
        {
            deviceOption, trainSizeOption, repeatsOption, storeOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get("nb201");
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var data = LatencyNas.Prediction.LatencyData.FromStore(store, parse.GetValue(deviceOption)!, space);
            var train = data.Split(parse.GetValue(trainSizeOption), 0).Train;
            var all = space.Enumerate().ToList();
            foreach (var kind in new[] { LatencyNas.Prediction.ModelKind.Additive, LatencyNas.Prediction.ModelKind.FastTree, LatencyNas.Prediction.ModelKind.LightGbm })
            {
                var trainClock = Stopwatch.StartNew();
                var predictor = LatencyNas.Prediction.PredictorTrainer.Fit(LatencyNas.Prediction.PredictorTrainer.DefaultChoice(kind), train, 0);
                double trainSeconds = trainClock.Elapsed.TotalSeconds;
                predictor.Predict(all); // warm-up
                var seconds = new List<double>();
                for (int i = 0; i < parse.GetValue(repeatsOption); i++)
                {
                    var clock = Stopwatch.StartNew();
                    predictor.Predict(all);
                    seconds.Add(clock.Elapsed.TotalSeconds);
                }
                double median = Descriptive.Median(seconds);
                Console.WriteLine($"{predictor.Description,-22} {all.Count / median,12:N0} architectures/s (batch of {all.Count:N0} in {median * 1000:F0} ms; training on {train.Count} took {trainSeconds:F2} s)");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command SearchBench()
    {
        var proxyOption = new Option<string>("--proxy") { Description = "Proxy device.", DefaultValueFactory = _ => "pixel3" };
        var targetsOption = new Option<string>("--targets") { Description = "Comma-separated target devices.", DefaultValueFactory = _ => "raspi4,eyeriss,fpga" };
        var objectiveOption = new Option<string>("--objective") { Description = "Objective in the store.", DefaultValueFactory = _ => "cifar10_test_acc" };
        var samplesOption = CommonOptions.Positive("--samples", "Target samples for the adapted proxy.", 10);
        var trainSizeOption = CommonOptions.Positive("--train-size", "Target measurements for the target's own predictor.", 1000);
        var seedsOption = CommonOptions.Positive("--seeds", "Seeds to average the evolution runs over.", 5);
        var storeOption = CommonOptions.Store();
        var command = new Command("search",
            "Latency-constrained search on real tables: regret and budget violations with the target's own predictor, the adapted proxy and the raw proxy; evolution's evaluations vs exhaustive.")
        {
            proxyOption, targetsOption, objectiveOption, samplesOption, trainSizeOption, seedsOption, storeOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get("nb201");
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var objective = new LatencyNas.Analysis.Search.TableObjective(parse.GetValue(objectiveOption)!, store.Objective(parse.GetValue(objectiveOption)!, space));
            var proxy = LatencyNas.Prediction.LatencyData.FromStore(store, parse.GetValue(proxyOption)!, space);
            var proxyMeasured = new LatencyNas.Prediction.MeasuredLatencies(proxy);
            int k = parse.GetValue(samplesOption);
            Console.WriteLine($"proxy {proxy.Device}; budgets at the 25th, 50th and 75th percentile of each target's true latency; regret in {objective.Name} points");
            var everyDevice = AnalysisCommands.AllDevices(store, space);
            Console.WriteLine($"| target | budget ms | optimum | (a) own predictor, {parse.GetValue(trainSizeOption)} samples | (b) proxy rescaled, K={k} | (b') device mix, K={k} | (c) raw proxy | evolution: evaluations to the optimum |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (string targetName in parse.GetValue(targetsOption)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var target = LatencyNas.Prediction.LatencyData.FromStore(store, targetName, space);
                var truth = new LatencyNas.Prediction.MeasuredLatencies(target);
                var own = LatencyNas.Prediction.PredictorTrainer.Fit(LatencyNas.Prediction.PredictorTrainer.DefaultChoice(LatencyNas.Prediction.ModelKind.LightGbm), target.Split(parse.GetValue(trainSizeOption), 0).Train, 0);
                // The one-proxy setting: only the proxy and K target samples, no other devices.
                var adapted = LatencyNas.Analysis.ProxyAdaptation.Adapt(LatencyNas.Analysis.AdaptationMethod.Rescale, proxy, target.Split(k, 0).Train, [], needed: null,
                    () => LatencyNas.Prediction.PredictorTrainer.Fit(LatencyNas.Prediction.PredictorTrainer.DefaultChoice(LatencyNas.Prediction.ModelKind.LightGbm), proxy, 0))!;
                var mixed = LatencyNas.Analysis.ProxyAdaptation.Adapt(LatencyNas.Analysis.AdaptationMethod.DeviceMix, proxy, target.Split(k, 0).Train, everyDevice, needed: null, () => proxyMeasured);
                var sortedTarget = target.LatenciesMs.Order().ToArray();
                var sortedProxy = proxy.LatenciesMs.Order().ToArray();
                foreach (int percentile in new[] { 25, 50, 75 })
                {
                    double budget = Descriptive.QuantileOfSorted(sortedTarget, percentile / 100.0);
                    var exhaustive = new LatencyNas.Analysis.Search.ExhaustiveSearch();
                    var optimum = exhaustive.Search(new LatencyNas.Analysis.Search.SearchProblem(space, truth, objective, budget), 0, 0).Best!;
                    string Outcome(LatencyNas.Prediction.ILatencyEstimator latency, double searchBudget)
                    {
                        var best = exhaustive.Search(new LatencyNas.Analysis.Search.SearchProblem(space, latency, objective, searchBudget), 0, 0).Best;
                        if (best is null)
                        {
                            return "nothing fits";
                        }
                        double trueLatency = truth.Predict([best.Architecture])[0];
                        return $"{optimum.Objective - best.Objective:F2}{(trueLatency > budget ? $", over by {100 * (trueLatency / budget - 1):F0}%" : "")}";
                    }
                    double proxyBudget = Descriptive.QuantileOfSorted(sortedProxy, percentile / 100.0);
                    var evaluations = new List<int>();
                    int reached = 0;
                    for (int seed = 0; seed < parse.GetValue(seedsOption); seed++)
                    {
                        var evolved = new LatencyNas.Analysis.Search.RegularizedEvolution().Search(new LatencyNas.Analysis.Search.SearchProblem(space, truth, objective, budget), 5_000, seed);
                        if (evolved.Best?.Objective == optimum.Objective)
                        {
                            reached++;
                            evaluations.Add(evolved.EvaluationsToBest);
                        }
                    }
                    Console.WriteLine($"| {target.Device} | p{percentile} {budget:F3} | {optimum.Objective:F2} | {Outcome(own, budget)} | {Outcome(adapted, budget)} | {(mixed is null ? "n/a" : Outcome(mixed, budget))} | {Outcome(proxyMeasured, proxyBudget)} | " +
                                      $"{(evaluations.Count > 0 ? $"{evaluations.Average():F0}" : "—")} ({reached}/{parse.GetValue(seedsOption)} reached; exhaustive 15,625) |");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remote()
    {
        var agentOption = new Option<string?>("--agent") { Description = "Agent address (default: start one in this process on a free loopback port)." };
        var tokenFileOption = new Option<string?>("--token-file") { Description = "The agent's token, if it needs one." };
        var countOption = CommonOptions.Count(50);
        var seedOption = CommonOptions.Seed();
        var command = new Command("remote", "Overhead of a remote measurement (through an agent on this machine) against a local one: median ratio over a sample.")
        {
            agentOption, tokenFileOption, countOption, seedOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            var space = SearchSpaces.Get("nb201");
            var local = DeviceDescriptorReader.Resolve(ProfileCommands.DefaultDevice);
            using var agentStop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            Task? agentTask = null;
            string endpoint = parse.GetValue(agentOption) ?? "";
            if (endpoint.Length == 0)
            {
                int port = FreePort();
                endpoint = $"http://127.0.0.1:{port}";
                agentTask = LatencyNas.Agent.AgentHost.RunAsync(new LatencyNas.Agent.AgentOptions { Urls = [endpoint], Insecure = true, Name = "bench-agent" }, agentStop.Token);
                await WaitForHealthAsync(endpoint, cancellation);
            }
            var remote = local with
            {
                Name = "bench-remote",
                Runtime = DeviceRuntime.Remote,
                Remote = new RemoteEndpoint([new Uri(endpoint)], null, parse.GetValue(tokenFileOption), TimeSpan.FromMinutes(2)),
            };
            await using var localRunner = DeviceRunners.Create(local);
            await using var remoteRunner = DeviceRunners.Create(remote);
            await remoteRunner.ProbeAsync(cancellation);
            var ratios = new List<double>();
            var wallRatios = new List<double>();
            foreach (var architecture in space.SampleDistinct(parse.GetValue(countOption), parse.GetValue(seedOption)))
            {
                var request = ModelRequest.For(local, space, architecture);
                using var localModel = localRunner.Prepare(request);
                using var remoteModel = remoteRunner.Prepare(request);
                var clock = Stopwatch.StartNew();
                var here = await localRunner.MeasureAsync(localModel, MeasurementProtocol.Default, cancellation);
                double localWall = clock.Elapsed.TotalSeconds;
                clock.Restart();
                var there = await remoteRunner.MeasureAsync(remoteModel, MeasurementProtocol.Default, cancellation);
                double remoteWall = clock.Elapsed.TotalSeconds;
                ratios.Add(there.Statistics.MedianMs / here.Statistics.MedianMs);
                wallRatios.Add(remoteWall / localWall);
            }
            Console.WriteLine($"remote / local median latency: {Descriptive.Median(ratios):F3} (median over {ratios.Count} architectures; range {ratios.Min():F3}–{ratios.Max():F3})");
            Console.WriteLine($"remote / local wall time per measurement (upload, session, protocol, answer): {Descriptive.Median(wallRatios):F3}");
            agentStop.Cancel();
            if (agentTask is not null)
            {
                await agentTask;
            }
            return ExitCodes.Success;
        });
        return command;
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForHealthAsync(string endpoint, CancellationToken cancellation)
    {
        using var http = new HttpClient();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                if ((await http.GetAsync(endpoint + "/healthz", cancellation)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cancellation);
        }
        throw new RunFailedException($"the agent at {endpoint} did not start");
    }
}
