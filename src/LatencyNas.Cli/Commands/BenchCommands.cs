using System.CommandLine;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Timing;
using LatencyNas.Web;
using LatencyNas.Workflows;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Cli.Commands;

/// <summary>Benchmarks: figures for the README, never assertions.</summary>
internal static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure the tool's own speed and the figures the README reports.");
        bench.Subcommands.Add(Export());
        bench.Subcommands.Add(ExportVsPytorch());
        bench.Subcommands.Add(Profile());
        bench.Subcommands.Add(Predict());
        bench.Subcommands.Add(Kernels());
        bench.Subcommands.Add(Search());
        bench.Subcommands.Add(Budget());
        bench.Subcommands.Add(Strategies());
        bench.Subcommands.Add(Remote());
        bench.Subcommands.Add(Retest());
        bench.Subcommands.Add(Load());
        bench.Subcommands.Add(Queue());
        bench.Subcommands.Add(Steer());
        bench.Subcommands.Add(Serve());
        return bench;
    }

    private static Command Serve()
    {
        var storeOption = LatnasOptions.Store();
        var hoversOption = LatnasOptions.Integer("--hovers", "Hovers timed per chart.", 30, 1, 10_000);
        var opensOption = LatnasOptions.Integer("--opens", "Times the page is opened (the first in a fresh browser).", 4, 2, 1_000);
        var rateOption = LatnasOptions.Number("--rate", "Evaluations per second of the search streamed onto the page while hovers are timed.", 1_000, 1, 1_000_000);
        var browserOption = LatnasOptions.Text("--browser", "Chromium's executable.", HeadlessBrowser.ChromiumPath);
        var jsonOption = LatnasOptions.Json();
        var command = new Command("serve",
            "The workbench's speed in a real browser (Debian's chromium, headless) over the store: opening the page to its first chart, a click to a pair's " +
            "scatter, a hover to its label — also while a search streams onto the page.")
        {
            storeOption, hoversOption, opensOption, rateOption, browserOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            var table = new StreamingTable(json ? Console.Error : Console.Out, "interaction", "samples", "median ms", "95th pct ms", "worst ms");
            var rows = new Synchronous<ServeTiming>(t => table.Row(t.What, $"{t.Samples}", $"{t.MedianMs:F0}", $"{t.P95Ms:F0}", $"{t.WorstMs:F0}"));
            var result = await new ServeBenchmark().RunAsync(new ServeBenchmarkRequest(parse.StoreLocation(storeOption), parse.GetValue(browserOption)!,
                parse.GetValue(hoversOption), parse.GetValue(opensOption), parse.GetValue(rateOption)), rows, cancellation);
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"{result.Devices} devices, up to {result.Architectures:N0} architectures measured; " +
                                  $"{result.StreamedEvaluations:N0} evaluations streamed onto the page during the last hovers");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Steer()
    {
        var proxyOption = LatnasOptions.Text("--proxy", "The device whose choice effects the steering rule reads and whose predictor the searches adapt.", SteeringBenchmarkRequest.DefaultProxy);
        var targetsOption = LatnasOptions.Devices("--targets",
            $"Devices the budgets apply to (each measured on the whole space) [default: {string.Join(",", SteeringBenchmarkRequest.DefaultTargets)}].");
        targetsOption.Required = false;
        var samplesOption = LatnasOptions.TargetSamples("K: target measurements every search adapts the proxy with.");
        var objectiveOption = LatnasOptions.Text("--objective", "What the searches maximise: an objective in the store.", "cifar10_test_acc");
        var evaluationsOption = LatnasOptions.Integer("--evaluations", "Evaluation budget of every search.", SteeringBenchmarkRequest.DefaultEvaluations, 10, 1_000_000);
        var repeatsOption = LatnasOptions.Repeats(5, "Seeds per target and budget.");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("steer",
            "What steering a search is worth: evolution unsteered against evolution steered through the workbench's API by a rule fixed in advance " +
            $"({SteeringBenchmark.Rule}), on budgets at the 10th, 25th and 50th percentile of each target's latencies.")
        {
            proxyOption, targetsOption, samplesOption, objectiveOption, evaluationsOption, repeatsOption, storeOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            var table = new StreamingTable(json ? Console.Error : Console.Out, "target", "budget ms", "optimum", "banned", "regret unsteered", "regret steered",
                "over budget", "reached optimum", "evaluations to it");
            var rows = new Synchronous<SteeringRow>(r => table.Row(r.Target, $"p{r.Percentile} {r.BudgetMs:F3}", $"{r.Optimum:F2}", $"{r.Banned.Count}",
                $"{r.Unsteered.MeanRegret:F2} (worst {r.Unsteered.WorstRegret:F2})", $"{r.Steered.MeanRegret:F2} (worst {r.Steered.WorstRegret:F2})",
                $"{r.Unsteered.OverBudget} / {r.Steered.OverBudget}", $"{r.Unsteered.ReachedOptimum}/{r.Unsteered.Runs} / {r.Steered.ReachedOptimum}/{r.Steered.Runs}",
                $"{r.Unsteered.MeanEvaluationsToOptimum?.ToString("F0") ?? "–"} / {r.Steered.MeanEvaluationsToOptimum?.ToString("F0") ?? "–"}"));
            var result = await new SteeringBenchmark().RunAsync(new SteeringBenchmarkRequest(parse.StoreLocation(storeOption), parse.GetValue(proxyOption)!,
                parse.GetValue(targetsOption), parse.GetValue(objectiveOption)!, parse.GetValue(samplesOption), parse.GetValue(evaluationsOption),
                parse.GetValue(repeatsOption)), rows, cancellation);
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"rule: {result.Rule}; columns unsteered / steered; regret in points of the objective");
                foreach (var row in result.Rows.Where(r => r.Banned.Count > 0))
                {
                    Console.WriteLine($"{row.Target} p{row.Percentile} banned: {string.Join(", ", row.Banned)}");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Queue()
    {
        var storeOption = LatnasOptions.Store();
        var workersOption = LatnasOptions.Numbers("--workers", $"Worker counts to run, one after another (default {string.Join(',', BenchQueueRequest.DefaultWorkers)}).", 1, 256, minimumExclusive: false);
        var countOption = LatnasOptions.Count(1000, "Architectures queued for each worker count.");
        var batchOption = LatnasOptions.Integer("--batch", "Architectures a worker claims at a time.", 10, 1, 10_000);
        var sleepOption = LatnasOptions.Number("--sleep-ms", "What a batch's \"measurement\" takes: a fixed sleep (a load generator, not a device).", 20, 0, 60_000, minimumExclusive: false);
        var jsonOption = LatnasOptions.Json();
        var command = new Command("queue",
            "How much queue one store carries: workers in this process, each with its own connection, claim, \"measure\" (a fixed sleep) and commit batches " +
            "of a queue as real workers do; claims per second and the wait for a claim (p50, p99) per worker count. Writes load-generator devices into the store: use a scratch store.")
        {
            storeOption, workersOption, countOption, batchOption, sleepOption, jsonOption,
        };
        command.SetHandler((parse, cancellation) =>
        {
            IReadOnlyList<int> workers = parse.ListOrNull(workersOption)?.Select(w => (int)w).ToArray() ?? BenchQueueRequest.DefaultWorkers;
            bool json = parse.GetValue(jsonOption);
            var request = new BenchQueueRequest(parse.StoreLocation(storeOption), workers, parse.GetValue(countOption), parse.GetValue(batchOption), parse.GetValue(sleepOption));
            var result = new QueueBenchmark().Run(request, new Synchronous<BenchQueueRow>(row =>
            {
                if (!json)
                {
                    Console.WriteLine($"{row.Workers,3} workers: {row.Claims,5} claims in {row.Seconds,6:F1} s, {row.ClaimsPerSecond,7:F1} claims/s, " +
                                      $"{row.ArchitecturesPerSecond,7:F0} architectures/s, wait for a claim p50 {row.ClaimP50Ms,6:F1} ms, p99 {row.ClaimP99Ms,7:F1} ms, claimed twice {row.ClaimedTwice}");
                }
            }), cancellation);
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"{result.Architectures} architectures per run, batches of {result.BatchSize}, {result.SleepMs} ms per batch, {result.Cores} cores, on {result.Store}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Kernels()
    {
        var deviceOption = LatnasOptions.Text("--device", "Device descriptor whose kernel predictors are judged (the reference CNNs are measured with it here).", ProfileCommands.DefaultDevice);
        var deviceNameOption = LatnasOptions.DeviceName("The device's name in the store, when profiled under another name.");
        var countOption = LatnasOptions.Count(100, "NB201 and FBNet architectures (each) the store measured on the device, predicted from their exported models.");
        var seedOption = LatnasOptions.Seed("Seed of the reference CNNs' weights and of the measurement.");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("kernels",
            "Whole models predicted from the device's kernel predictors against their measurements: the store's NB201 and FBNet architectures and the " +
            "10 reference CNN families (ResNet-18 to RegNetX-400MF) at 160 and 224, all measured here in one batch with stored kernels as a control of the " +
            "machine's drift; within ±10% and MAPE per family, as predicted and scaled by the drift.")
        {
            deviceOption, deviceNameOption, countOption, seedOption, storeOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            var output = json ? Console.Error : Console.Out;
            var rows = new Synchronous<KernelPredictionRow>(r => output.WriteLine($"{r.Family,-16} {r.Model,-24} measured {r.MeasuredMs,9:F3} ms  predicted {r.PredictedMs,9:F3} ms  {r.Error,7:+0.0%;-0.0%}"));
            var result = await NativeStandardError.AsideAsync("libtorch", () => new KernelBenchmark().RunAsync(new BenchKernelsRequest(parse.GetValue(deviceOption)!,
                parse.StoreLocation(storeOption), parse.GetValue(deviceNameOption), parse.GetValue(countOption), Seed: parse.GetValue(seedOption)), rows, cancellation));
            if (json)
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            foreach (var family in result.Families.Append(result.Overall))
            {
                Console.WriteLine($"{family.Family,-16} {family.Models,4} models: within ±10% {family.Within10:P1}, MAPE {family.Mape:P1}; " +
                                  $"at the drift {family.Within10AtDrift:P1}, MAPE {family.MapeAtDrift:P1}");
            }
            Console.WriteLine($"drift: {result.Controls} stored kernels, measured again beside the models, run at ×{result.Drift:F3} of their stored times " +
                              "(the machine has moved that much since profile-kernels; \"at the drift\" scales the predictions by it)");
            Console.WriteLine($"networks: the store's NB201 and FBNet networks run at ×{result.NetworkDrift:F3} of their stored times " +
                              "(they read their weights from memory where a kernel alone finds them in cache: a machine whose memory is busy moves them more)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Retest()
    {
        var deviceOption = LatnasOptions.Text("--device", "Device to measure (a descriptor file, or a shipped name).", ProfileCommands.DefaultDevice);
        var countOption = LatnasOptions.Count(200);
        var seedOption = LatnasOptions.Seed();
        var pauseOption = LatnasOptions.Number("--pause-seconds", "Pause between the two sessions.", 60, 0, 3_600);
        var loadOption = LatnasOptions.Choice("--load", "Work run beside the measurements: none, or bursty (one core busy 3 s, idle 2 s, in a process of its own).",
            BackgroundLoad.None, ("none", BackgroundLoad.None), ("bursty", BackgroundLoad.Bursty));
        var precisionOption = LatnasOptions.Number("--precision", "The interleaved protocol's target precision (the burst keeps its 2%).",
            MeasurementProtocol.Default.TargetRelativePrecision, 0, 1, minimumExclusive: true);
        var outOption = LatnasOptions.Out("Keep the store of the two profiles here (devices \"burst\" and \"interleaved\", with every visit); by default it is deleted.", required: false);
        var jsonOption = LatnasOptions.Json();
        var command = new Command("retest",
            "Test-retest of the measurement protocols side by side: the same architectures profiled twice, a pause apart, by the burst and the interleaved protocol; " +
            "share within ±5% and ±10%, SRCC, seconds per architecture, and whether the precision claims hold.")
        {
            deviceOption, countOption, seedOption, pauseOption, loadOption, precisionOption, outOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            var status = new Synchronous<string>(message => Console.Error.WriteLine($"latnas: {message}"));
            var benchmark = new RetestBenchmark(DeviceRunnerFactory.Instance, load => LoadProcess.Start(Environment.ProcessPath!, [.. SelfArguments(), "bench", "load"]));
            var result = await NativeStandardError.AsideAsync("libtorch", () => benchmark.RunAsync(new RetestRequest(parse.GetValue(deviceOption)!, parse.GetValue(countOption),
                parse.GetValue(seedOption), parse.GetValue(pauseOption), loadOption.ValueIn(parse), parse.Given(precisionOption), parse.GetValue(outOption)), status, cancellation));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{result.Architectures} architectures on {result.Device} ({result.Cpu}), two sessions {result.PauseSeconds:0} s apart, load: {result.Load.ToString().ToLowerInvariant()}");
            var table = new StreamingTable(Console.Out, "protocol", "within ±5%", "within ±10%", "SRCC", "s / architecture (measuring)", "precision met", "of those within ±p", "inside the interval", "visits", "contended",
                "uncorrected ±5% / ±10%", "drift");
            foreach (var r in result.Protocols)
            {
                table.Row(r.Protocol, $"{r.Within5:P1}", $"{r.Within10:P1}", $"{r.Srcc:F4}", $"{r.SecondsPerArchitecture:F3} ({r.MeasuringSecondsPerArchitecture:F3})", $"{r.PrecisionMet:P1} (p = {r.Precision:P0})",
                    double.IsNaN(r.PreciseRemeasuredWithin) ? "-" : $"{r.PreciseRemeasuredWithin:P1}", $"{r.InsideInterval:P1}", r.MeanVisits > 0 ? $"{r.MeanVisits:F1}" : "-", r.MeanVisits > 0 ? $"{r.ContendedVisits:P1}" : "-",
                    $"{r.Within5Uncorrected:P0} / {r.Within10Uncorrected:P0}", r.DriftLow == r.DriftHigh ? $"{r.DriftLow:F3}" : $"{r.DriftLow:F3}–{r.DriftHigh:F3}");
            }
            if (result.Batches.Count > 0)
            {
                static string Drift(ReferenceDrift? drift) => drift is { } d ? $"×{d.Factor:F3} (references spread {d.Spread:P1})" : "-";
                Console.WriteLine();
                Console.WriteLine("Interleaved batches of session 1 (precise → held: their claims, and those re-measured within p):");
                var batches = new StreamingTable(Console.Out, "batch", "architectures", "precise → held", "moved (median 2nd ÷ 1st)", "session 1 correction", "session 2 correction");
                foreach (var (b, i) in result.Batches.Select((b, i) => (b, i + 1)))
                {
                    batches.Row($"{i}", $"{b.Architectures}", $"{b.Precise} → {b.Held}", $"{b.MedianRatio:F3}", Drift(b.FirstDrift), Drift(b.SecondDrift));
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The hidden load generator `bench retest --load bursty` starts in a process of its own.</summary>
    private static Command Load()
    {
        var command = new Command("load", "Keep one core busy 3 s, idle 2 s, until stopped (the load of bench retest).") { Hidden = true };
        command.SetHandler((parse, cancellation) =>
        {
            LoadProcess.Burn(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), cancellation);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>What precedes a verb to run this program again: nothing for the apphost, the dll for `dotnet latnas.dll`.</summary>
    private static string[] SelfArguments()
        => Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [typeof(BenchCommands).Assembly.Location] : [];

    private static Command Export()
    {
        var spaceOption = LatnasOptions.Space();
        var countOption = LatnasOptions.Count(200);
        var seedOption = LatnasOptions.Seed();
        var datasetOptions = new DatasetOptions();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("export", "Time building the TorchSharp network and exporting it to ONNX, per architecture.")
        {
            spaceOption, countOption, seedOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(async (parse, cancellation) =>
        {
            var space = parse.SearchSpace(spaceOption);
            var result = await NativeStandardError.AsideAsync("libtorch", () => Task.FromResult(new BenchExportUseCase().Run(new BenchExportRequest(space,
                datasetOptions.Parse(parse, space)!, parse.GetValue(countOption), parse.GetValue(seedOption)), cancellation)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{result.Architectures} {result.Space} architectures on {result.Dataset}, {result.Cores} cores");
            Console.WriteLine($"build (TorchSharp, incl. BatchNorm calibration): {Summary(result.Build)}");
            Console.WriteLine($"export (module walk + protobuf):                  {Summary(result.Export)}");
            Console.WriteLine($"mean model size: {result.MeanModelKiB:F0} KiB");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ExportVsPytorch()
    {
        var deviceOption = LatnasOptions.Text("--device", "Device both exports run on (an onnxruntime descriptor); its dataset and batch are the networks'.", ProfileCommands.DefaultDevice);
        var countOption = LatnasOptions.Count(60, $"Architectures: {string.Join(", ", PytorchExportBenchmark.Always)}, then distinct ones drawn uniformly at random.");
        var seedOption = LatnasOptions.Seed();
        var repeatsOption = LatnasOptions.Repeats(40, "Paired rounds per architecture (a visit to each export, back to back).");
        var jsonOption = LatnasOptions.Json();
        var command = new Command("export-vs-pytorch",
            $"ONNX Runtime time of our ONNX export over PyTorch's export of the same NB201 network (same weights, outputs checked to agree); needs {BenchPytorchExportRequest.DefaultPython} with PyTorch.")
        {
            deviceOption, countOption, seedOption, repeatsOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            var status = new Synchronous<string>(message => Console.Error.WriteLine($"latnas: {message}"));
            var table = new StreamingTable(json ? Console.Error : Console.Out, "arch", "nodes ours / pytorch", "ours ms", "pytorch ms", "ratio", "fastest ratio", "control", "max |Δ|");
            var rows = new Synchronous<ExportComparisonRow>(r => table.Row(r.Ops, $"{r.OurNodes} / {r.PytorchNodes}", $"{r.OursMs:F3}", $"{r.PytorchMs:F3}",
                $"{r.Ratio:F3}", $"{r.FastestRatio:F3}", $"{r.ControlRatio:F3}", $"{r.MaxAbsDifference:0.0e0}"));
            var result = await NativeStandardError.AsideAsync("libtorch", () => new PytorchExportBenchmark().RunAsync(new BenchPytorchExportRequest(parse.GetValue(deviceOption)!,
                parse.GetValue(countOption), parse.GetValue(seedOption), parse.GetValue(repeatsOption)), status, rows, cancellation));
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                var ratio = result.Ratio;
                Console.WriteLine($"ours / PyTorch {result.Torch} export on {result.Device} ({result.Setting}, {result.Cpu}): median {ratio.Median:F3}, p90 {result.RatioP90:F3}, " +
                                  $"range {ratio.Min:F3}–{ratio.Max:F3}; {result.AtMostOne} of {ratio.Count} at most 1.00");
                Console.WriteLine($"control (PyTorch's export over itself): median {result.Control.Median:F3}, range {result.Control.Min:F3}–{result.Control.Max:F3}; " +
                                  $"noise ±{result.Noise:F3} (p90); {result.WithinNoise} of {ratio.Count} at most 1 + noise");
                Console.WriteLine($"outputs agree within {result.Tolerance:0e0}: {ratio.Count - result.OverTolerance} of {ratio.Count}");
            }
            return result.Passed ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }

    private static Command Profile()
    {
        var deviceOption = LatnasOptions.Text("--device", "Device to benchmark (an onnxruntime descriptor).", ProfileCommands.DefaultDevice);
        var countOption = LatnasOptions.Count(200);
        var seedOption = LatnasOptions.Seed();
        var overheadOption = LatnasOptions.Integer("--overhead-count", "Architectures for the harness-overhead comparison.", 20, 1, 100_000);
        var skipFixedOption = new Option<bool>("--skip-fixed") { Description = "Leave out the fixed \"3 s warm-up + 50 runs\" comparison (about 2 × 3.1 s per architecture)." };
        var jsonOption = LatnasOptions.Json();
        var command = new Command("profile",
            "Benchmark the measurement protocol: harness overhead against a bare Run loop, seconds per architecture, and test-retest SRCC, " +
            "against a fixed \"3 s warm-up + 50 runs\" protocol.")
        {
            deviceOption, countOption, seedOption, overheadOption, skipFixedOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            var status = new Synchronous<string>(message => Console.Error.WriteLine($"latnas: {message}"));
            var result = await NativeStandardError.AsideAsync("libtorch", () => new BenchProfileUseCase(DeviceRunnerFactory.Instance).RunAsync(new BenchProfileRequest(
                parse.GetValue(deviceOption)!, parse.GetValue(countOption), parse.GetValue(seedOption), parse.GetValue(overheadOption), parse.GetValue(skipFixedOption)), status, cancellation));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"device {result.Device} ({result.Setting}) on {result.Cpu}, {result.Cores} cores");
            Console.WriteLine($"interleaved estimate / bare-loop median = {result.Overhead.Median:F3} (median over {result.Overhead.Count} architectures; range {result.Overhead.Min:F3}–{result.Overhead.Max:F3})");
            Console.WriteLine($"interleaved estimate / bare-loop fastest run = {result.OverheadToFastest.Median:F3} (range {result.OverheadToFastest.Min:F3}–{result.OverheadToFastest.Max:F3})");
            var a = result.Adaptive;
            Console.WriteLine($"interleaved protocol: {a.SecondsPerArchitecture:F3} s per architecture, test-retest SRCC {a.Srcc:F4}, precision met {a.PrecisionMet:P0}, mean timed runs {a.MeanRuns:F0}");
            if (result.Fixed is { } f)
            {
                Console.WriteLine($"fixed 3 s warm-up + 50 runs:    {f.SecondsPerArchitecture:F3} s per architecture, test-retest SRCC {f.Srcc:F4}");
                Console.WriteLine($"cost ratio fixed / interleaved: {result.CostRatio:F1}×");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Predict()
    {
        var spaceOption = LatnasOptions.Space();
        var deviceOption = LatnasOptions.Device("Device whose measurements train the predictors.");
        var trainSizeOption = LatnasOptions.TrainSize();
        var repeatsOption = LatnasOptions.Repeats(5, "Timed batch predictions per family.");
        var countOption = LatnasOptions.Count(BenchPredictRequest.DefaultCount, "Architectures in the batch where the space cannot be listed (drawn uniformly; a listable space predicts all its members).");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("predict", "Prediction throughput per predictor family: architectures per second natively for one batch (the whole space where it can be listed, else --count drawn ones) and one at a time, and through the exported ONNX model in ONNX Runtime (batch of 10,000, and one at a time).")
        {
            spaceOption, deviceOption, trainSizeOption, repeatsOption, countOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            bool json = parse.GetValue(jsonOption);
            var rows = new Synchronous<PredictThroughput>(r => (json ? Console.Error : Console.Out).WriteLine(
                $"{r.Model,-42} {r.Path,-6} {r.ArchitecturesPerSecond,12:N0} architectures/s (batch of {r.Batch:N0} in {r.BatchMs:F3} ms; training on {r.TrainedOn} took {r.TrainSeconds:F2} s)"));
            var result = new BenchPredictUseCase().Run(new BenchPredictRequest(parse.GetValue(deviceOption)!, parse.StoreLocation(storeOption), parse.SearchSpace(spaceOption),
                parse.GetValue(trainSizeOption), parse.GetValue(repeatsOption), parse.GetValue(countOption)), rows);
            if (json)
            {
                Json.Write(result);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Search()
    {
        var proxyOption = LatnasOptions.Text("--proxy", "Proxy device.", "pixel3");
        string[] defaultTargets = ["raspi4", "eyeriss", "fpga"];
        var targetsOption = new Option<string[]>("--targets")
        {
            // Not a DefaultValueFactory: help would print the list joined with '|'.
            Description = $"Target devices, comma-separated [default: {string.Join(',', defaultTargets)}].",
            CustomParser = result => result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
        };
        var objectiveOption = LatnasOptions.Text("--objective", "Objective in the store.", "cifar10_test_acc");
        var samplesOption = LatnasOptions.TargetSamples("Target measurements for the adapted proxy (K).");
        var trainSizeOption = LatnasOptions.TrainSize();
        var repeatsOption = LatnasOptions.Repeats(5, "Evolution runs (one seed each) per budget.");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("search",
            "Latency-constrained search on real tables: regret and budget violations with the target's own predictor, the adapted proxy and the raw proxy; evolution's evaluations vs exhaustive.")
        {
            proxyOption, targetsOption, objectiveOption, samplesOption, trainSizeOption, repeatsOption, storeOption, jsonOption,
        };
        command.SetHandler((parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            int k = parse.GetValue(samplesOption);
            var table = new StreamingTable(json ? Console.Error : Console.Out, "target", "budget ms", "optimum", $"(a) own predictor, {parse.GetValue(trainSizeOption)} samples",
                $"(b) proxy rescaled, K={k}", $"(b') device mix, K={k}", "(c) raw proxy", "evolution: evaluations to the optimum");
            var rows = new Synchronous<BudgetOutcome>(r => table.Row(r.Target, $"p{r.Percentile} {r.BudgetMs:F3}", $"{r.Optimum:F2}", Outcome(r.OwnPredictor),
                Outcome(r.Rescaled), r.DeviceMix is { } mix ? Outcome(mix) : "n/a", Outcome(r.RawProxy),
                $"{(r.EvolutionEvaluations is { } e ? $"{e:F0}" : "—")} ({r.EvolutionReached}/{r.EvolutionRuns} reached; exhaustive 15,625)"));
            var result = new BenchSearchUseCase().Run(new BenchSearchRequest(parse.GetValue(proxyOption)!, parse.ListOrNull(targetsOption) ?? defaultTargets, parse.GetValue(objectiveOption)!,
                parse.StoreLocation(storeOption), k, parse.GetValue(trainSizeOption), parse.GetValue(repeatsOption)), rows, cancellation);
            if (json)
            {
                Json.Write(result);
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Budget()
    {
        var spaceOption = LatnasOptions.Space();
        var devicesOption = LatnasOptions.Devices("--devices", "Devices whose measurements judge the search.");
        var objectiveOption = LatnasOptions.Text("--objective", "What the search maximises: params, macs, synflow, zico, or an objective in the store.", "macs");
        var trainSizeOption = LatnasOptions.Integer("--train-size", "Measured architectures each device's predictor trains on; the rest are the pool whose measured latencies judge the winner.", 900, 2, 10_000_000);
        var modelOption = LatnasOptions.Model(PredictorModel.LightGbm);
        var evaluationsOption = LatnasOptions.Integer("--evaluations", "Evaluations of each evolution and random search in the whole space.", 10_000, 10, 100_000_000);
        var repeatsOption = LatnasOptions.Repeats(1, "Seeds of each whole-space search.");
        var outOption = LatnasOptions.Out("Directory for budget-search.csv, objective-vs-evaluations.csv and its plot (PNG, SVG).", required: false);
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("budget",
            "Latency-constrained search judged on real measurements, for spaces too large to list: per device a predictor trains on --train-size measurements; " +
            "under budgets at the 25th, 50th and 75th percentile of the others' measured latencies, how often the winner among those others (chosen on predicted latency) " +
            "breaks the budget on its measured latency, and how evolution and random search's best objective in the whole space grows with evaluations.")
        {
            spaceOption, devicesOption, objectiveOption, trainSizeOption, modelOption, evaluationsOption, repeatsOption, outOption, storeOption, jsonOption,
        };
        command.SetHandler((parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            var table = new StreamingTable(json ? Console.Error : Console.Out, "device", "predictor", "budget ms", "pool winner: predicted / measured ms", "regret",
                "evolution best", "random best", "evolution s");
            var rows = new Synchronous<BudgetSearchRow>(r => table.Row(r.Device, r.Predictor, $"p{r.Percentile} {r.BudgetMs:F3}",
                r.Pool.TrueMs is { } measured ? $"{r.Pool.PredictedMs:F3} / {measured:F3}{(r.Pool.BreaksBudget(r.BudgetMs) ? $" (over by {100 * (measured / r.BudgetMs - 1):F1}%)" : "")}" : "nothing fits",
                r.Pool.Regret is { } regret ? $"{regret:P1}" : "-", r.EvolutionBest is { } e ? $"{e:G6}" : "-", r.RandomBest is { } b ? $"{b:G6}" : "-", $"{r.EvolutionSeconds:F2}"));
            var result = new BudgetSearchBenchmark().Run(new BudgetSearchRequest(parse.SearchSpace(spaceOption), parse.GetValue(devicesOption)!, parse.GetValue(objectiveOption)!,
                parse.StoreLocation(storeOption), parse.GetValue(trainSizeOption), modelOption.ValueIn(parse), parse.GetValue(evaluationsOption), parse.GetValue(repeatsOption),
                parse.GetValue(outOption)), rows, cancellation);
            if (json)
            {
                Json.Write(result);
                return Task.FromResult(ExitCodes.Success);
            }
            foreach (var b in result.Breaks)
            {
                Console.WriteLine($"budget p{b.Percentile}: the pool winner breaks it on {b.Breaks} of {b.Winners} devices" +
                                  (b.MedianOvershoot is { } median ? $" (median overshoot {median:P1}, worst {b.MaxOvershoot:P1})" : "") + $"; median regret {b.MedianRegret:P2}");
            }
            var evaluations = result.Progress.Select(p => p.Evaluations).Distinct().Order().ToList();
            var curve = new StreamingTable(Console.Out, ["evaluations", .. result.Progress.Select(p => $"{p.Strategy} p{p.Percentile}").Distinct()]);
            foreach (int n in evaluations)
            {
                curve.Row([$"{n:N0}", .. result.Progress.Where(p => p.Evaluations == n).Select(p => $"{p.RelativeObjective:F4}")]);
            }
            foreach (string file in result.Files)
            {
                Console.WriteLine($"wrote {file}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Strategies()
    {
        var spaceOption = LatnasOptions.Space();
        var devicesOption = LatnasOptions.Devices("--devices", "Devices whose latencies the searches run on: their measurements where they cover the whole space, else a predictor trained on them.");
        var objectiveOption = LatnasOptions.Text("--objective", "What the searches maximise: an objective in the store (e.g. cifar10_test_acc), or params, macs, synflow, zico.", "cifar10_test_acc");
        var evaluationsOption = LatnasOptions.Integer("--evaluations", "Evaluation budget of every search; evolution and random search also run with what shrinking spent.", 1_000, 10, 100_000_000);
        var repeatsOption = LatnasOptions.Repeats(5, "Seeds per device and latency budget.");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("strategies",
            "Shrinking search against evolution and random search under latency budgets at the 10th, 25th, 50th and 75th percentile of each device's latencies: " +
            "regret against the optimum (exhaustive, where the measurements cover the space; else the best any run found) and evaluations spent.")
        {
            spaceOption, devicesOption, objectiveOption, evaluationsOption, repeatsOption, storeOption, jsonOption,
        };
        command.SetHandler((parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            var table = new StreamingTable(json ? Console.Error : Console.Out, "device", "budget ms", "strategy", "evaluations", "mean regret", "worst regret", "reached best");
            var rows = new Synchronous<StrategyRow>(r => table.Row(r.Device, $"p{r.Percentile} {r.BudgetMs:F3}", r.Strategy, $"{r.MeanEvaluations:N0}",
                $"{r.MeanRegret:P2}", $"{r.WorstRegret:P2}", $"{r.ReachedBest}/{r.Runs}"));
            var result = new StrategyBenchmark().Run(new StrategyBenchmarkRequest(parse.SearchSpace(spaceOption), parse.GetValue(devicesOption)!, parse.GetValue(objectiveOption)!,
                parse.StoreLocation(storeOption), parse.GetValue(evaluationsOption), parse.GetValue(repeatsOption)), rows, cancellation);
            if (json)
            {
                Json.Write(result);
                return Task.FromResult(ExitCodes.Success);
            }
            Console.WriteLine();
            var summary = new StreamingTable(Console.Out, "strategy", "evaluations (mean)", "mean regret", "worst regret", $"reached the {result.Best}");
            foreach (var s in result.Summary)
            {
                summary.Row(s.Strategy, $"{s.MeanEvaluations:N0}", $"{s.MeanRegret:P2}", $"{s.WorstRegret:P2}", $"{s.ReachedBest}/{s.Runs}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Remote()
    {
        var agentOption = new Option<string?>("--agent") { Description = "Agent address [default: start one in this process on a free loopback port]." };
        var tokenFileOption = new Option<string?>("--token-file") { Description = "The agent's token, if it needs one." };
        var countOption = LatnasOptions.Count(50);
        var seedOption = LatnasOptions.Seed();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("remote", "Overhead of a remote measurement (through an agent on this machine) against a local one: median ratio over a sample.")
        {
            agentOption, tokenFileOption, countOption, seedOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            var result = await NativeStandardError.AsideAsync("libtorch", () => new BenchRemoteUseCase(DeviceRunnerFactory.Instance).RunAsync(new BenchRemoteRequest(
                parse.GetValue(agentOption), parse.GetValue(tokenFileOption), parse.GetValue(countOption), parse.GetValue(seedOption)), cancellation));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"remote / local median latency: {result.LatencyRatio.Median:F3} (median over {result.LatencyRatio.Count} architectures; range {result.LatencyRatio.Min:F3}–{result.LatencyRatio.Max:F3})");
            Console.WriteLine($"remote / local wall time per measurement (upload, session, protocol, answer): {result.WallRatio.Median:F3}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Summary(TimingSummary t) => $"median {t.MedianMs:F2} ms, mean {t.MeanMs:F2} ms, p90 {t.P90Ms:F2} ms";

    private static string Outcome(ChoiceOutcome o)
        => o.Regret is not { } regret ? "nothing fits" : $"{regret:F2}{o.OverBudget switch { > 0.01 => $", over by {100 * o.OverBudget:F0}%", > 0 => ", over by <1%", _ => "" }}";
}
